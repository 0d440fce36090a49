"""The tasks of a job: doc/api.md §8 (the list), §10.1 (one task), §10.2
(the update's checks, in their order), §10.3 (what a state change does to
the task, its failure records and its agent), §9.2 (the job's state after a
task's state change); §0.6-§0.8 (16-key task objects in the list, 18-key
ones with "job" and "agent" from GET and POST; a NULL state shows
"assigned" when the task has an agent), §0.1 (308 without the trailing
slash) and §13 rows 8, 9 and 16 (task objects, /tasks/, 404 Task not found).

Deliberate differences from the reference, asserted here as ours:
  * a task is found only under its own job (by id or title): under another
    job, or one that does not exist, it is 404 "Task not found" (the
    reference ignores the job part of the URL);
  * a job's requeue -1 requeues failed tasks without limit, as pyfarm's
    model documents it (the reference never requeues them);
  * an agent without an address shows "remote_ip": null (the reference
    shows the string "None");
  * progress takes an integer too, stored as a float (the reference takes
    float literals only: JavaScript's JSON.stringify(1.0) sends 1);
Where the reference answers 500:
  * an unknown state -> 400 "`state` must be one of queued, paused,
    running, done, failed";
  * "failed" on a task without an agent works and records no
    failed_tasks_in_agents row;
  * a bool for an integer column -> 400 "Column 'k' is of type <class
    'bool'> ..."; priority outside -1000..1000, negative attempts, null
    attempts/failures/sent_to_agent, `job`, a non-null `agent`, a non-empty
    failed_in_agents or log_associations, and an `id` other than the task's
    -> 400 naming the rule;
  * a body that is not a JSON object -> 400 "dictionary expected but got
    <type> instead";
  * the job state is recomputed in the update's own transaction.
"""

import datetime
import ipaddress
import json

from check import expect, json_difference

API = "/api/v1/jobs"
JSON_TYPE = {"Content-Type": "application/json"}
AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"    # render01 of sql/demo.sql
OTHER_AGENT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
AGENT_UA = "PyFarm/1.0 (agent)"
RENDER01 = {"id": AGENT, "hostname": "render01", "remote_ip": "127.0.0.1", "port": 50000}

PAUSED, RUNNING, DONE, FAILED = 100, 105, 106, 107
DISABLED, OFFLINE = 200, 201        # agents.state (online is 202)
STATE_NAMES = {PAUSED: "paused", RUNNING: "running", DONE: "done", FAILED: "failed"}

OLD = datetime.datetime(2020, 1, 2, 3, 4, 5, 600000)
OLDER = datetime.datetime(2019, 6, 7, 8, 9, 10)
FUTURE = datetime.datetime(2100, 1, 1, 0, 0, 0, 123456)

OWNER_ERROR = "`state` and `progress` can only be changed by the agent owning this task"
DONE_PROGRESS_ERROR = "Cannot set progress: task is already in state `done`"
STATE_ERROR = "`state` must be one of queued, paused, running, done, failed"

TASK_COLUMNS = ("id", "state", "priority", "time_submitted", "time_started",
                "time_finished", "agent_id", "job_id", "hidden", "attempts",
                "failures", "frame", "tile", "last_error", "sent_to_agent", "progress")

# Tables a task update may write to: a refused update leaves them as they were.
SNAPSHOT_TABLES = ("tasks", "jobs", "agents", "failed_tasks_in_agents",
                   "task_log_associations", "task_logs")


# ------------------------------------------------------ database helpers

def _int(text):
    return None if text is None else int(text)


def _bool(text):
    return None if text is None else text == "t"


def _float(text):
    return None if text is None else float(text)


def _time(text):
    return None if text is None else datetime.datetime.fromisoformat(text)


def _text(text):
    return text


COLUMN_TYPES = {"id": _int, "state": _int, "priority": _int, "time_submitted": _time,
                "time_started": _time, "time_finished": _time, "agent_id": _text,
                "job_id": _int, "hidden": _bool, "attempts": _int, "failures": _int,
                "frame": _float, "tile": _int, "last_error": _text,
                "sent_to_agent": _bool, "progress": _float, "requeue": _int,
                "title": _text, "last_success_on": _time}


def sql_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime.datetime):
        return f"'{value.isoformat(sep=' ')}'"
    return "'" + str(value).replace("'", "''") + "'"


def rows(farm, table, columns, where):
    """Rows of `table` matching `where` as dicts of Python values."""
    result = farm.pg.query(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}")
    return [{c: COLUMN_TYPES[c](v) for c, v in zip(columns, row)} for row in result]


def task_row(farm, task):
    (row,) = rows(farm, "tasks", TASK_COLUMNS, f"id = {task}")
    return row


def job_row(farm, job=1):
    (row,) = rows(farm, "jobs", ("state", "time_started", "time_finished"), f"id = {job}")
    return row


def job_text(farm, job=1):
    """The whole jobs row as PostgreSQL text, to compare before and after."""
    return farm.pg.query(f"SELECT j::text FROM jobs j WHERE id = {job}")[0][0]


def last_success_on(farm, agent=AGENT):
    return rows(farm, "agents", ("last_success_on",), f"id = '{agent}'")[0]["last_success_on"]


def set_row(farm, table, where, **columns):
    values = ", ".join(f"{c} = {sql_literal(v)}" for c, v in columns.items())
    farm.pg.psql(f"UPDATE {table} SET {values} WHERE {where}")


def set_task(farm, task, **columns):
    set_row(farm, "tasks", f"id = {task}", **columns)


def set_job(farm, job=1, **columns):
    set_row(farm, "jobs", f"id = {job}", **columns)


def set_agent(farm, agent=AGENT, **columns):
    set_row(farm, "agents", f"id = '{agent}'", **columns)


def assign(farm, task, agent=AGENT, **columns):
    set_task(farm, task, agent_id=agent, **columns)


def finish_other_tasks(farm, task, job=1, state=DONE):
    farm.pg.psql(f"UPDATE tasks SET state = {state} WHERE job_id = {job} AND id <> {task}")


def failure_rows(farm):
    """(agent_id, task_id) of every failed_tasks_in_agents row, sorted."""
    return sorted((a, int(t)) for a, t in
                  farm.pg.query("SELECT agent_id, task_id FROM failed_tasks_in_agents"))


def add_agent(farm, agent_id, hostname):
    farm.pg.psql(
        "INSERT INTO agents (id, hostname, notes, remote_ip, use_address, ram, free_ram,"
        " cpus, port, time_offset, restart_requested, state, last_heard_from,"
        " ram_allocation, cpu_allocation)"
        f" VALUES ('{agent_id}', '{hostname}', '', 167772165, 311, 1024, 512, 2, 50001,"
        " 0, false, 202, now() at time zone 'utc', 0.8, 1.0)")


def db_now(farm):
    return _time(farm.pg.query("SELECT now() at time zone 'utc'")[0][0])


def snapshot(farm):
    """Every row of SNAPSHOT_TABLES as text."""
    parts = ", ".join(f"(SELECT string_agg(x::text, E'\\n' ORDER BY x::text) FROM {t} x)"
                      for t in SNAPSHOT_TABLES)
    return farm.pg.query(f"SELECT {parts}")[0]


# ------------------------------------------------------ rendering helpers

def py_time(value):
    """A TIMESTAMP as the reference renders it (datetime.isoformat())."""
    return None if value is None else value.isoformat()


def render_basic(row):
    """The 16-key task object of a task_row (spec §0.8, §0.7 task rule)."""
    obj = {c: row[c] for c in TASK_COLUMNS}
    for c in ("time_submitted", "time_started", "time_finished"):
        obj[c] = py_time(row[c])
    if row["state"] is None:
        obj["state"] = "assigned" if row["agent_id"] else "queued"
    else:
        obj["state"] = STATE_NAMES[row["state"]]
    return obj


def shown_address(remote_ip):
    """agents.remote_ip (text) as task objects show it: the dotted quad, or
    null for none (ours; the reference shows "None") or one out of range."""
    if remote_ip is None or not 0 <= int(remote_ip) < 2 ** 32:
        return None
    return str(ipaddress.IPv4Address(int(remote_ip)))


def render_agent(farm, agent_id):
    if agent_id is None:
        return None
    ((hostname, remote_ip, port),) = farm.pg.query(
        f"SELECT hostname, remote_ip, port FROM agents WHERE id = '{agent_id}'")
    return {"id": agent_id, "hostname": hostname, "remote_ip": shown_address(remote_ip),
            "port": int(port)}


def render_full(farm, row):
    """The 18-key task object of a task_row: with its job and agent."""
    title = farm.pg.query(f"SELECT title FROM jobs WHERE id = {row['job_id']}")[0][0]
    return {**render_basic(row), "job": {"id": row["job_id"], "title": title},
            "agent": render_agent(farm, row["agent_id"])}


def seed_task(farm, task, **changes):
    """Task `task` of sql/demo.sql as written there (16 keys), with `changes`;
    only time_submitted (now() at load time) comes from the database."""
    job, frame = (1, task) if task <= 10 else (2, task - 10)
    obj = {"id": task, "state": "queued", "priority": 0,
           "time_submitted": py_time(task_row(farm, task)["time_submitted"]),
           "time_started": None, "time_finished": None, "agent_id": None,
           "job_id": job, "hidden": False, "attempts": 0, "failures": 0,
           "frame": float(frame), "tile": None, "last_error": None,
           "sent_to_agent": False, "progress": 0.0}
    obj.update(changes)
    return obj


def seed_full(farm, task, agent=None, **changes):
    obj = seed_task(farm, task, **changes)
    title = "Demo shot 010" if obj["job_id"] == 1 else "Demo shot 020"
    return {**obj, "job": {"id": obj["job_id"], "title": title}, "agent": agent}


# ------------------------------------------------------- request helpers

def list_url(job):
    return f"{API}/{job}/tasks/"


# Task 3 is job 1's ("Demo shot 010"): the job parts of a URL that find it,
# and those that do not (another job by id or title, no such job, an id
# beyond 64 bits).
OWN_JOB = (1, "001", "Demo%20shot%20010")
OTHER_JOBS = (2, "0002", "Demo%20shot%20020", 99, 0, "No%20such%20job", "demo%20shot%20010",
              "9223372036854775808", "18446744073709551617")


def task_url(task, job=1):
    return f"{API}/{job}/tasks/{task}"


def get_task(farm, task, job=1):
    return farm.client.get(task_url(task, job))


def update(farm, task, body, job=1, agent=False, user_agent=None):
    """POST `body` (json.dumps'ed; a str is sent verbatim) to the task;
    `agent` sends the render agent's User-Agent."""
    headers = dict(JSON_TYPE)
    if agent:
        headers["User-Agent"] = AGENT_UA
    if user_agent:
        headers["User-Agent"] = user_agent
    text = body if isinstance(body, str) else json.dumps(body)
    return farm.client.post(task_url(task, job), body=text, headers=headers)


def expect_error(resp, status, message):
    return expect(resp, status, json={"error": message}, headers=JSON_TYPE)


def expect_task(resp, farm, task):
    """200 with the task's whole 18-key object as stored now; the object."""
    want = render_full(farm, task_row(farm, task))
    return expect(resp, 200, json=want, headers=JSON_TYPE).json()


def refused(farm, task, body, message, status=400, **kwargs):
    """The update is refused with this error and changes nothing."""
    before = snapshot(farm)
    expect_error(update(farm, task, body, **kwargs), status, message)
    assert snapshot(farm) == before, f"{body}: the database changed"


def accepted(farm, task, body, **kwargs):
    """The update answers 200 with the task as stored; (answer, row)."""
    answer = expect_task(update(farm, task, body, **kwargs), farm, task)
    return answer, task_row(farm, task)


def timed_update(farm, task, body, **kwargs):
    """accepted(), also returning the database clock before and after."""
    before = db_now(farm)
    answer, row = accepted(farm, task, body, **kwargs)
    return answer, row, before, db_now(farm)


def assert_between(value, before, after, what):
    assert value is not None and before <= value <= after, \
        f"{what}: {value} not within [{before}, {after}]"


def type_error(key, got, want):
    return f"Column '{key}' is of type <class '{got}'> but we expected type(s) <class '{want}'>"


# ============================================================ §8: the list

def test_list_is_the_basic_objects_of_the_job(farm):
    expect(farm.client.get(list_url(1)), 200, headers=JSON_TYPE,
           json=[seed_task(farm, t) for t in range(1, 11)])


def test_list_by_title_is_the_same(farm):
    expect(farm.client.get(list_url("Demo%20shot%20020")), 200,
           json=[seed_task(farm, t) for t in range(11, 15)])


def test_list_orders_by_frame_then_id(farm):
    frames = {1: 5, 2: -2.5, 3: 5, 4: 10, 5: 5.5, 6: 9, 7: 5, 8: 100, 9: 0.0001, 10: 20}
    for task, frame in frames.items():
        set_task(farm, task, frame=frame)
    want = [seed_task(farm, t, frame=float(frames[t])) for t in (2, 9, 1, 3, 7, 5, 6, 4, 10, 8)]
    expect(farm.client.get(list_url(1)), 200, json=want)


def test_list_state_follows_the_task_rule(farm):
    cases = {1: (None, None, "queued"), 2: (None, AGENT, "assigned"),
             3: (PAUSED, None, "paused"), 4: (RUNNING, AGENT, "running"),
             5: (DONE, AGENT, "done"), 6: (FAILED, None, "failed")}
    for task, (state, agent, _) in cases.items():
        set_task(farm, task, state=state, agent_id=agent)
    want = [seed_task(farm, t, state=cases[t][2], agent_id=cases[t][1]) if t in cases
            else seed_task(farm, t) for t in range(1, 11)]
    expect(farm.client.get(list_url(1)), 200, json=want)


def test_list_of_a_job_without_tasks_is_empty(farm):
    farm.pg.psql("DELETE FROM tasks WHERE job_id = 2")
    expect(farm.client.get(list_url(2)), 200, json=[], headers=JSON_TYPE)


def test_list_of_an_unknown_job_id_is_404_with_the_id_as_a_number(farm):
    for ref, shown in (("99", 99), ("007", 7), ("0", 0), ("000", 0),
                       ("18446744073709551617", 18446744073709551617)):
        expect(farm.client.get(list_url(ref)), 404, headers=JSON_TYPE,
               json={"error": "Job not found", "id": shown})


def test_list_of_an_unknown_title_is_404_with_the_title(farm):
    for ref, shown in (("No%20such", "No such"), ("demo%20shot%20010", "demo shot 010"),
                       ("7a", "7a")):
        expect(farm.client.get(list_url(ref)), 404, headers=JSON_TYPE,
               json={"error": "Job not found", "id": shown})


def test_tasks_without_trailing_slash_redirects(farm):
    for path in (f"{API}/1/tasks", f"{API}/1/tasks?x=1"):
        resp = expect(farm.client.get(path), 308)
        want = farm.base_url + path.replace("/tasks", "/tasks/")
        assert resp.headers.get("Location") == want, resp.headers


def expect_long_list(farm, tasks_sql):
    """A job of 2,500 tasks lists all of them, each once, in (frame, id)
    order: the module reads them in pages of 1,000."""
    job = farm.add_job("Long job", tasks_sql)
    resp = expect(farm.client.get(list_url(job)), 200, headers=JSON_TYPE)
    got = resp.json()
    stored = rows(farm, "tasks", TASK_COLUMNS, f"job_id = {job}")
    assert len(stored) == 2500, len(stored)
    ids = [t["id"] for t in got]
    assert len(ids) == 2500 and len(set(ids)) == 2500, \
        f"{len(ids)} tasks listed, {len(set(ids))} distinct"
    want = [render_basic(r) for r in sorted(stored, key=lambda r: (r["frame"], r["id"]))]
    difference = json_difference(want, got)
    assert difference is None, difference
    return got


def test_long_list_with_distinct_frames(farm):
    # Frames -100, -99.5, ... (fractions and negatives); ids in another order.
    got = expect_long_list(farm, "SELECT g * 0.5 - 100, NULL::int, (g * 7919) % 2500"
                                 "  FROM generate_series(0, 2499) g")
    assert got[0]["frame"] == -100.0 and got[-1]["frame"] == 1149.5, (got[0], got[-1])


def test_long_list_with_tiles_sharing_frames_across_pages(farm):
    # Three tiles a frame: rows 1000/1001 and 2000/2001 share a frame.
    got = expect_long_list(farm, "SELECT 1 + g / 3, g % 3, (g * 7919) % 2500"
                                 "  FROM generate_series(0, 2499) g")
    assert got[999]["frame"] == got[1000]["frame"] == 334.0, (got[999], got[1000])


def test_long_list_of_one_frame(farm):
    got = expect_long_list(farm, "SELECT 7, g, (g * 7919) % 2500 FROM generate_series(0, 2499) g")
    assert [t["id"] for t in got] == sorted(t["id"] for t in got)


# ======================================================= §10.1: one task

def test_get_is_the_full_object(farm):
    expect(get_task(farm, 3), 200, json=seed_full(farm, 3), headers=JSON_TYPE)


def test_get_shows_the_agent(farm):
    assign(farm, 3)
    expect(get_task(farm, 3), 200,
           json=seed_full(farm, 3, agent=RENDER01, agent_id=AGENT, state="assigned"))


def test_get_renders_agent_addresses(farm):
    assign(farm, 3)
    # ours: null without an address (the reference: "None"), and out of range
    for remote_ip, shown in ((None, None), (4294967295, "255.255.255.255"),
                             (167772165, "10.0.0.5"), (0, "0.0.0.0"),
                             (4294967296, None), (-1, None)):
        set_agent(farm, remote_ip=remote_ip)
        body = expect(get_task(farm, 3), 200).json()
        assert body["agent"] == {**RENDER01, "remote_ip": shown}, body["agent"]


def test_get_finds_the_task_through_its_own_job(farm):
    for job in OWN_JOB:
        expect(get_task(farm, 3, job=job), 200, json=seed_full(farm, 3))
    for job in (2, "0002", "Demo%20shot%20020"):
        expect(get_task(farm, 12, job=job), 200, json=seed_full(farm, 12))


def test_get_under_another_job_is_404(farm):  # ours (the reference ignores the job)
    for job in OTHER_JOBS:
        expect_error(get_task(farm, 3, job=job), 404, "Task not found")
    for job in (1, "Demo%20shot%20010"):
        expect_error(get_task(farm, 12, job=job), 404, "Task not found")


def test_a_title_names_the_oldest_job_holding_it(farm):
    # §0.1: titles are not unique; a task of a younger job of the same title
    # is not under the title.
    younger = farm.add_job("Demo shot 010", "SELECT 1, NULL::int, 1")
    (task,) = (t["id"] for t in rows(farm, "tasks", ("id",), f"job_id = {younger}"))
    expect(get_task(farm, task, job=younger), 200, json=render_full(farm, task_row(farm, task)))
    expect_error(get_task(farm, task, job="Demo%20shot%20010"), 404, "Task not found")
    refused(farm, task, {"state": "running"}, "Task not found", status=404,
            job="Demo%20shot%20010")
    expect(get_task(farm, 3, job="Demo%20shot%20010"), 200, json=seed_full(farm, 3))


def test_get_unknown_task_is_404(farm):
    for job, task in ((1, 999), (1, 0), (2, 999), (99, 999), (1, "18446744073709551617")):
        expect_error(get_task(farm, task, job=job), 404, "Task not found")


def test_task_url_with_a_trailing_slash_is_not_found(farm):
    for method in ("GET", "POST"):
        resp = farm.client.request(method, f"{API}/1/tasks/1/", json={})
        expect_error(resp, 404, f"{farm.base_url}{API}/1/tasks/1/ was not found")


# ================================================ §10.2: the update's checks

def test_update_of_an_unknown_task_is_404(farm):
    for task in (999, "18446744073709551617"):
        for body in ({"priority": 1}, {"state": "running"}, {"time_started": "yesterday"}, {}):
            refused(farm, task, body, "Task not found", status=404)


def test_update_finds_the_task_through_its_own_job(farm):
    for priority, job in enumerate(OWN_JOB):
        _, row = accepted(farm, 3, {"priority": priority, "state": "running"}, job=job)
        assert (row["priority"], row["state"], row["job_id"]) == (priority, RUNNING, 1), row
    _, row = accepted(farm, 12, {"state": "paused"}, job="Demo%20shot%20020")
    assert row["state"] == PAUSED, row


def test_update_under_another_job_is_404_and_changes_nothing(farm):  # ours
    # With and without a state: a state change first locks the task's job.
    assign(farm, 3, state=RUNNING)
    for job in OTHER_JOBS:
        for body in ({"priority": 7}, {"state": "failed"}, {"time_started": "now"}):
            refused(farm, 3, body, "Task not found", status=404, job=job, agent=True)


def test_body_must_be_an_object(farm):  # ours (the reference: 500)
    for text, kind in (("[]", "list"), ("[1]", "list"), ('"x"', "str"), ("5", "int"),
                       ("1.5", "float"), ("true", "bool"), ("null", "NoneType")):
        refused(farm, 1, text, f"dictionary expected but got {kind} instead")


def test_empty_update_changes_nothing(farm):
    before = snapshot(farm)
    expect(update(farm, 1, {}), 200, json=seed_full(farm, 1))
    assert snapshot(farm) == before


def test_time_started_other_than_now_is_refused(farm):
    for value in ("yesterday", "NOW", "now ", "2020-01-02T03:04:05", 5, None, ["now"]):
        refused(farm, 1, {"time_started": value}, "`time_started` cannot be set manually")


def test_finish_and_submit_times_cannot_be_set(farm):
    for key in ("time_finished", "time_submitted"):
        for value in ("now", None, "2020-01-02T03:04:05"):
            refused(farm, 1, {key: value}, f"`{key}` cannot be set manually")


def test_job_id_and_frame_cannot_be_changed(farm):
    for key, values in (("job_id", (2, 1, None)), ("frame", (5.0, 1.0, 1, None))):
        for value in values:
            refused(farm, 1, {key: value}, f"`{key}` cannot be changed")


def test_checks_come_in_the_spec_order(farm):
    set_task(farm, 1, state=DONE, progress=1.0)
    body = {"foo": 1, "hidden": "x", "progress": 0.5, "frame": 2.0, "job_id": 2,
            "time_submitted": "now", "time_finished": "now", "time_started": "later"}
    for key, message in (("time_started", "`time_started` cannot be set manually"),
                         ("time_finished", "`time_finished` cannot be set manually"),
                         ("time_submitted", "`time_submitted` cannot be set manually"),
                         ("job_id", "`job_id` cannot be changed"),
                         ("frame", "`frame` cannot be changed")):
        refused(farm, 1, body, message, agent=True)
        del body[key]
    refused(farm, 1, body, OWNER_ERROR, agent=True)       # task without agent
    refused(farm, 1, body, DONE_PROGRESS_ERROR)           # no agent User-Agent
    del body["progress"]
    refused(farm, 1, body, type_error("hidden", "str", "bool"))
    del body["hidden"]
    refused(farm, 1, body, "Unknown columns in request: {'foo': 1}")


# ---------------------------------------------------- step 7: the owner

# Tasks the demo agent, calling from 127.0.0.1, does not own:
# (what, assigned agent, that agent's remote_ip).
FOREIGN_TASKS = (("no agent", None, None),
                 ("agent without address", AGENT, None),
                 ("agent at an address out of range", AGENT, 2 ** 32 + 2130706433),
                 ("agent at 10.0.0.5", AGENT, 167772165),
                 ("agent at 127.0.0.2", AGENT, 2130706434))


def make_foreign_task(farm, agent, remote_ip):
    """Fresh demo data with task 1 assigned to `agent` at `remote_ip`."""
    farm.reset()
    if agent:
        assign(farm, 1, agent=agent)
        set_agent(farm, agent, remote_ip=remote_ip)


def test_agent_cannot_change_state_or_progress_of_a_task_it_does_not_own(farm):
    for _, agent, remote_ip in FOREIGN_TASKS:
        make_foreign_task(farm, agent, remote_ip)
        for body in ({"state": "running"}, {"progress": 0.5}, {"state": None},
                     {"state": "done", "progress": 1.0}, {"progress": 1, "foo": 1}):
            refused(farm, 1, body, OWNER_ERROR, agent=True)


def test_other_clients_may_change_any_task(farm):
    for what, agent, remote_ip in FOREIGN_TASKS:
        make_foreign_task(farm, agent, remote_ip)
        for user_agent in (None, "PyFarm/1.0 (master)", "pyfarm/1.0 (agent)",
                           "PyFarm/1.0 (agent) extra", "curl/8.0"):
            _, row = accepted(farm, 1, {"progress": 0.25, "state": "paused"},
                              user_agent=user_agent)
            assert (row["state"], row["progress"]) == (PAUSED, 0.25), (what, user_agent, row)


def test_agent_may_change_other_columns_of_any_task(farm):
    _, row = accepted(farm, 1, {"last_error": "disk full", "priority": 3}, agent=True)
    assert (row["last_error"], row["priority"]) == ("disk full", 3), row


def test_owning_agent_may_change_its_task(farm):
    assign(farm, 1)
    answer, row = accepted(farm, 1, {"state": "running", "progress": 0.25}, agent=True)
    assert (row["state"], row["progress"], answer["agent"]) == (RUNNING, 0.25, RENDER01), answer


# ---------------------------------------------- step 8: progress when done

def test_progress_of_a_done_task_cannot_change(farm):
    set_task(farm, 1, state=DONE, progress=1.0)
    for value in (0.5, 0.0, 1.5, 0.9999999, "1.0", 0, 2, False):
        refused(farm, 1, {"progress": value}, DONE_PROGRESS_ERROR)


def test_null_progress_of_a_done_task_is_refused(farm):
    # Step 8: None != 1.0.
    set_task(farm, 1, state=DONE, progress=1.0)
    refused(farm, 1, {"progress": None}, DONE_PROGRESS_ERROR)


def test_progress_of_a_done_task_may_be_set_to_1(farm):
    set_task(farm, 1, state=DONE, progress=0.5)
    _, row = accepted(farm, 1, {"progress": 1.0})
    assert row["progress"] == 1.0, row


def test_integer_1_as_progress_of_a_done_task_is_accepted(farm):  # ours
    # Step 8 compares in Python: 1 == 1.0 (and True == 1.0), so these pass
    # step 8; step 10 takes the integer (the reference refuses it) and still
    # refuses the boolean.
    set_task(farm, 1, state=DONE, progress=0.5)
    refused(farm, 1, {"progress": True}, type_error("progress", "bool", "float"))
    answer, row = accepted(farm, 1, {"progress": 1})
    assert (row["progress"], answer["progress"]) == (1.0, 1.0), row
    assert isinstance(answer["progress"], float), answer


def test_progress_check_looks_at_the_state_before_the_update(farm):
    set_task(farm, 1, state=DONE)
    refused(farm, 1, {"state": "running", "progress": 0.5}, DONE_PROGRESS_ERROR)


# ------------------------------------------------- step 9: state names

def test_unknown_state_is_refused(farm):  # ours (the reference: 500)
    for value in ("bogus", "Running", "DONE", "assigned", "", 105, True, ["done"]):
        refused(farm, 1, {"state": value}, STATE_ERROR)


def test_null_state_changes_nothing(farm):
    set_task(farm, 1, state=RUNNING)
    set_job(farm, state=FAILED)
    before = snapshot(farm)
    expect(update(farm, 1, {"state": None}), 200, json=seed_full(farm, 1, state="running"))
    assert snapshot(farm) == before


# ------------------------------------------------ step 10: value types

TYPE_ERRORS = (
    ("progress", True, "bool", "float"), ("progress", False, "bool", "float"),
    ("progress", "0.5", "str", "float"),
    ("progress", [0.5], "list", "float"),
    ("agent_id", AGENT, "str", "uuid.UUID"), ("agent_id", 5, "int", "uuid.UUID"),
    ("hidden", "x", "str", "bool"), ("hidden", 1, "int", "bool"),
    ("sent_to_agent", 0, "int", "bool"),
    ("last_error", 5, "int", "str"), ("last_error", ["x"], "list", "str"),
    ("last_error", {"a": 1}, "dict", "str"),
    ("priority", "1", "str", "int"), ("priority", 1.0, "float", "int"),
    ("priority", True, "bool", "int"),                # ours (the reference: 500)
    ("attempts", False, "bool", "int"),               # ours
    ("failures", 1.5, "float", "int"), ("tile", {"a": 1}, "dict", "int"),
    ("id", "1", "str", "int"),
    ("job", 1, "int", "list"), ("agent", AGENT, "str", "list"),
    ("failed_in_agents", {}, "dict", "list"), ("log_associations", "x", "str", "list"),
)


def test_wrong_value_types_are_refused(farm):
    for key, value, got, want in TYPE_ERRORS:
        refused(farm, 1, {key: value}, type_error(key, got, want))


def test_null_is_accepted_for_nullable_columns(farm):
    assign(farm, 1, priority=5, hidden=True, tile=2, last_error="x", progress=0.5)
    answer, row = accepted(farm, 1, {"priority": None, "hidden": None, "tile": None,
                                     "last_error": None, "progress": None, "agent_id": None})
    assert all(row[c] is None for c in ("priority", "hidden", "tile", "last_error",
                                        "progress", "agent_id")), row
    assert (answer["agent"], answer["state"]) == (None, "queued"), answer


def test_valid_values_are_stored(farm):
    answer, row = accepted(farm, 1, {"priority": -1000, "hidden": True, "tile": 3,
                                     "last_error": "it's \u00e9", "progress": 0.35,
                                     "attempts": 4, "failures": 2, "sent_to_agent": True,
                                     "id": 1})
    assert {c: row[c] for c in ("priority", "hidden", "tile", "last_error", "progress",
                                "attempts", "failures", "sent_to_agent")} == \
        {"priority": -1000, "hidden": True, "tile": 3, "last_error": "it's \u00e9",
         "progress": 0.35, "attempts": 4, "failures": 2, "sent_to_agent": True}, row


def test_integer_progress_is_stored_as_a_float(farm):  # ours (the reference: 400)
    # JavaScript's JSON.stringify(1.0) is "1": a dashboard sends integers.
    for value in (0, 1, -3, 2 ** 63):
        answer, row = accepted(farm, 1, {"progress": value})
        assert (row["progress"], answer["progress"]) == (float(value), float(value)), row
        assert isinstance(answer["progress"], float), answer


def test_progress_too_small_for_a_double_is_zero(farm):
    # Python's json.loads reads 1e-400 as 0.0, a float like any other.
    set_task(farm, 1, progress=0.5)
    _, row = accepted(farm, 1, '{"progress": 1e-400}')
    assert row["progress"] == 0.0, row


def test_null_is_refused_for_not_null_columns(farm):  # ours
    for key in ("attempts", "failures", "sent_to_agent"):
        refused(farm, 1, {key: None}, f"`{key}` cannot be null")


def test_priority_must_be_within_the_queue_range(farm):  # ours
    for value in (1001, -1001, 2 ** 31, -2 ** 40):
        refused(farm, 1, {"priority": value}, "`priority` must be between -1000 and 1000")
    for value in (1000, -1000):
        _, row = accepted(farm, 1, {"priority": value})
        assert row["priority"] == value, row


def test_attempts_cannot_be_negative(farm):  # ours
    refused(farm, 1, {"attempts": -1}, "`attempts` cannot be negative")
    _, row = accepted(farm, 1, {"attempts": 0})
    assert row["attempts"] == 0


def test_id_cannot_be_changed(farm):  # ours
    for value in (2, 999, 0):
        refused(farm, 1, {"id": value}, "`id` cannot be changed")


def test_relations_cannot_be_set_this_way(farm):  # ours
    for key, value in (("job", None), ("job", []), ("job", [{"id": 2}]),
                       ("agent", []), ("agent", [AGENT]),
                       ("failed_in_agents", None), ("failed_in_agents", [AGENT]),
                       ("log_associations", None), ("log_associations", [1])):
        refused(farm, 1, {key: value}, f"`{key}` cannot be set this way")


# ------------------------------------------------ step 11: unknown keys

def test_unknown_keys_are_listed_with_their_values(farm):
    refused(farm, 1, {"foo": 1, "bar": [1]}, "Unknown columns in request: {'foo': 1, 'bar': [1]}")


def test_unknown_values_are_python_reprs(farm):
    body = '{"a": true, "b": null, "c": "it\'s", "d": {"e": 1.5, "f": "x"}, "\u00e9": 1e2}'
    refused(farm, 1, body, "Unknown columns in request: {'a': True, 'b': None, "
                           "'c': \"it's\", 'd': {'e': 1.5, 'f': 'x'}, '\u00e9': 100.0}")


def test_unknown_keys_refuse_the_whole_update(farm):
    assign(farm, 1, state=RUNNING)
    refused(farm, 1, {"state": "done", "priority": 5, "foo": 1},
            "Unknown columns in request: {'foo': 1}")
    refused(farm, 1, {"state": "failed", "failed_in_agents": [], "foo": 1},
            "Unknown columns in request: {'foo': 1}")


def test_type_errors_come_before_unknown_keys(farm):
    refused(farm, 1, {"foo": 1, "hidden": "x"}, type_error("hidden", "str", "bool"))


# =========================================== §10.3: state change effects

def test_queued_stores_null(farm):
    assign(farm, 1, state=RUNNING)
    answer, row = accepted(farm, 1, {"state": "queued"})
    assert (row["state"], answer["state"]) == (None, "assigned"), row
    set_task(farm, 1, state=RUNNING, agent_id=None)
    answer, row = accepted(farm, 1, {"state": "queued"})
    assert (row["state"], answer["state"]) == (None, "queued"), row


def test_paused_is_stored(farm):
    assign(farm, 1, state=RUNNING, time_started=OLD)
    _, row = accepted(farm, 1, {"state": "paused"})
    assert (row["state"], row["time_started"], row["time_finished"]) == (PAUSED, OLD, None)


def test_running_sets_the_start_and_clears_the_finish(farm):
    for previous in (None, DONE, FAILED):
        set_task(farm, 1, state=previous, time_started=OLDER, time_finished=OLD)
        _, row, before, after = timed_update(farm, 1, {"state": "running"})
        assert (row["state"], row["time_finished"]) == (RUNNING, None), (previous, row)
        assert_between(row["time_started"], before, after, f"time_started after {previous}")


def test_running_again_keeps_the_start(farm):
    for previous in (RUNNING, PAUSED):
        set_task(farm, 1, state=previous, time_started=OLDER, time_finished=OLD)
        _, row = accepted(farm, 1, {"state": "running"})
        assert (row["state"], row["time_started"], row["time_finished"]) == \
            (RUNNING, OLDER, OLD), (previous, row)


def test_running_without_a_start_sets_it(farm):
    set_task(farm, 1, state=RUNNING, time_started=None, time_finished=OLD)
    _, row, before, after = timed_update(farm, 1, {"state": "running"})
    assert row["time_finished"] is None, row
    assert_between(row["time_started"], before, after, "time_started")


def test_no_automatic_start_time_leaves_the_times(farm):
    farm.pg.psql("UPDATE jobtype_versions SET no_automatic_start_time = true WHERE version = 1")
    set_task(farm, 1, time_finished=OLD)
    _, row = accepted(farm, 1, {"state": "running"})
    assert (row["state"], row["time_started"], row["time_finished"]) == (RUNNING, None, OLD)
    _, row = accepted(farm, 12, {"state": "running"}, job=2)   # version 2: automatic
    assert row["time_started"] is not None, row


def test_done_completes_the_task(farm):
    assign(farm, 1, state=RUNNING, progress=0.5, last_error="oops", time_started=OLD)
    answer, row, before, after = timed_update(farm, 1, {"state": "done"}, agent=True)
    assert (row["state"], row["progress"], row["last_error"], row["time_started"]) == \
        (DONE, 1.0, None, OLD), row
    assert_between(row["time_finished"], before, after, "time_finished")
    assert_between(last_success_on(farm), before, after, "agent last_success_on")
    assert (answer["state"], answer["agent"]) == ("done", RENDER01), answer


def test_done_keeps_an_earlier_finish(farm):
    assign(farm, 1, state=DONE, time_finished=OLD)
    _, row = accepted(farm, 1, {"state": "done"})
    assert row["time_finished"] == OLD, row


def test_done_without_agent_marks_no_agent(farm):
    set_task(farm, 1, state=RUNNING)
    _, row = accepted(farm, 1, {"state": "done"})
    assert (row["state"], row["progress"]) == (DONE, 1.0), row
    assert last_success_on(farm) is None


def test_values_given_with_a_state_are_set_after_its_effects(farm):
    assign(farm, 1, state=RUNNING)
    _, row = accepted(farm, 1, {"state": "done", "last_error": "note"})
    assert (row["state"], row["last_error"]) == (DONE, "note"), row


def test_failed_requeues_while_the_job_allows(farm):
    for failures in (0, 2):   # job requeue 3: the 1st and the 3rd failure requeue
        farm.reset()
        assign(farm, 1, state=RUNNING, failures=failures, attempts=failures + 1)
        answer, row, before, after = timed_update(farm, 1, {"state": "failed"}, agent=True)
        assert (row["state"], row["agent_id"], row["failures"], row["attempts"]) == \
            (None, None, failures + 1, failures + 1), row
        assert_between(row["time_finished"], before, after, "time_finished")
        assert (answer["state"], answer["agent"]) == ("queued", None), answer
        assert failure_rows(farm) == [(AGENT, 1)]


def test_failed_beyond_requeue_stays_failed(farm):
    # 0 never requeues; negative values other than -1 neither (as the reference).
    for requeue, failures in ((3, 3), (0, 0), (1, 1), (-2, 0), (-5, 10)):
        farm.reset()
        set_job(farm, requeue=requeue)
        assign(farm, 1, state=RUNNING, failures=failures)
        answer, row = accepted(farm, 1, {"state": "failed"}, agent=True)
        assert (row["state"], row["agent_id"], row["failures"]) == \
            (FAILED, AGENT, failures + 1), (requeue, row)
        assert (answer["state"], answer["agent"]) == ("failed", RENDER01), answer
        assert failure_rows(farm) == [(AGENT, 1)]


def test_requeue_minus_1_requeues_without_limit(farm):
    # ours: pyfarm's model documents -1 as "requeue indefinitely"; the
    # reference's failures <= requeue never requeues it.
    set_job(farm, requeue=-1)
    for failures in range(1, 11):
        assign(farm, 1, state=RUNNING)
        answer, row = accepted(farm, 1, {"state": "failed"}, agent=True)
        assert (row["state"], row["agent_id"], row["failures"]) == (None, None, failures), row
        assert (answer["state"], answer["agent"]) == ("queued", None), answer
    assert failure_rows(farm) == [(AGENT, 1)]


def test_failed_keeps_an_earlier_finish(farm):
    assign(farm, 1, state=RUNNING, time_finished=OLD)
    _, row = accepted(farm, 1, {"state": "failed"})
    assert (row["state"], row["time_finished"]) == (None, OLD), row


def test_failed_without_agent_counts_the_failure(farm):  # ours (the reference: 500)
    set_task(farm, 1, state=RUNNING)
    answer, row = accepted(farm, 1, {"state": "failed"})
    assert (row["state"], row["failures"], answer["state"]) == (None, 1, "queued"), row
    assert failure_rows(farm) == []


def test_failing_twice_on_one_agent_keeps_one_row(farm):
    add_agent(farm, OTHER_AGENT, "render02")
    assign(farm, 1, state=RUNNING)
    accepted(farm, 1, {"state": "failed"})
    assign(farm, 1, state=RUNNING)
    accepted(farm, 1, {"state": "failed"})
    assign(farm, 1, agent=OTHER_AGENT, state=RUNNING)
    _, row = accepted(farm, 1, {"state": "failed"})
    assert row["failures"] == 3, row
    assert failure_rows(farm) == sorted([(AGENT, 1), (OTHER_AGENT, 1)])


def test_failed_with_empty_failed_in_agents_records_nothing(farm):
    assign(farm, 1, state=RUNNING)
    _, row = accepted(farm, 1, {"failed_in_agents": [], "state": "failed"})
    assert row["failures"] == 1 and failure_rows(farm) == [], row


def test_attempts_never_change_with_the_state(farm):
    assign(farm, 1, attempts=2)
    for state in ("running", "paused", "running", "failed", "queued", "running", "done",
                  "failed", "done"):
        _, row = accepted(farm, 1, {"state": state})
        assert row["attempts"] == 2, (state, row)


def test_time_started_now_on_an_unfinished_task_clears_the_finish(farm):
    for state in (None, RUNNING, PAUSED):
        set_task(farm, 1, state=state, time_started=OLDER, time_finished=OLD)
        _, row, before, after = timed_update(farm, 1, {"time_started": "now"})
        assert (row["state"], row["time_finished"]) == (state, None), row
        assert_between(row["time_started"], before, after, "time_started")


def test_time_started_now_on_a_finished_task_keeps_the_later_finish(farm):
    for state in (DONE, FAILED):
        set_task(farm, 1, state=state, time_finished=FUTURE)
        _, row = accepted(farm, 1, {"time_started": "now"})
        assert row["time_finished"] == FUTURE, row
        set_task(farm, 1, time_finished=OLD)
        _, row, before, after = timed_update(farm, 1, {"time_started": "now"})
        assert_between(row["time_finished"], before, after, "time_finished")
        assert_between(row["time_started"], before, after, "time_started")


def test_time_started_now_follows_the_new_state(farm):
    set_task(farm, 1, state=DONE, time_finished=OLD)
    _, row = accepted(farm, 1, {"state": "running", "time_started": "now"})
    assert (row["state"], row["time_finished"]) == (RUNNING, None), row
    _, row, before, after = timed_update(farm, 1, {"state": "done", "time_started": "now"})
    assert_between(row["time_finished"], before, after, "time_finished")


def test_agent_id_null_unassigns(farm):
    for key in ("agent_id", "agent"):
        assign(farm, 1, attempts=1, state=RUNNING)
        answer, row = accepted(farm, 1, {key: None})
        assert (row["agent_id"], row["attempts"], row["state"]) == (None, 1, RUNNING), row
        assert answer["agent"] is None, answer


def test_cancel_as_the_agent_does(farm):
    # README, "What the real client does": {"state": "queued", "agent_id": null}.
    assign(farm, 1, attempts=1, state=RUNNING, progress=0.5)
    answer, row = accepted(farm, 1, {"state": "queued", "agent_id": None}, agent=True)
    assert (row["state"], row["agent_id"], row["attempts"]) == (None, None, 1), row
    assert (answer["state"], answer["agent"]) == ("queued", None), answer


def test_empty_failed_in_agents_removes_the_tasks_rows(farm):
    add_agent(farm, OTHER_AGENT, "render02")
    farm.pg.psql(f"INSERT INTO failed_tasks_in_agents (agent_id, task_id) VALUES"
                 f" ('{AGENT}', 1), ('{OTHER_AGENT}', 1), ('{AGENT}', 2)")
    accepted(farm, 1, {"failed_in_agents": []})
    assert failure_rows(farm) == [(AGENT, 2)]


def test_empty_log_associations_removes_the_tasks_rows(farm):
    farm.pg.psql(f"""
        INSERT INTO task_logs (identifier, agent_id, created_on)
        VALUES ('log-a', '{AGENT}', now() at time zone 'utc'),
               ('log-b', NULL, now() at time zone 'utc');
        INSERT INTO task_log_associations (task_log_id, task_id, attempt, state)
        SELECT l.id, t.task, t.attempt, NULL FROM task_logs l,
               (VALUES (1, 1), (1, 2), (2, 1)) AS t(task, attempt)
         WHERE l.identifier = 'log-a' OR (l.identifier = 'log-b' AND t.task = 1);""")
    accepted(farm, 1, {"log_associations": []})
    left = farm.pg.query("SELECT task_id, attempt FROM task_log_associations")
    assert left == [("2", "1")], left
    assert farm.pg.query("SELECT count(*) FROM task_logs") == [("2",)]


# ================================== §9.2: the job's state after a change

def test_last_task_done_makes_the_job_done(farm):
    finish_other_tasks(farm, 1)
    assign(farm, 1, state=RUNNING)
    _, _, before, after = timed_update(farm, 1, {"state": "done"}, agent=True)
    job = job_row(farm)
    assert job["state"] == DONE, job
    assert_between(job["time_finished"], before, after, "job time_finished")


def test_unfinished_tasks_keep_the_job_from_finishing(farm):
    finish_other_tasks(farm, 1)
    set_task(farm, 2, state=None)
    accepted(farm, 1, {"state": "done"})
    assert job_row(farm) == {"state": None, "time_started": None, "time_finished": None}


def test_a_failed_task_without_requeue_fails_the_job(farm):
    set_job(farm, requeue=0)
    finish_other_tasks(farm, 1)
    assign(farm, 1, state=RUNNING)
    _, _, before, after = timed_update(farm, 1, {"state": "failed"}, agent=True)
    job = job_row(farm)
    assert job["state"] == FAILED, job
    assert_between(job["time_finished"], before, after, "job time_finished")


def test_a_job_with_a_failed_task_fails_when_the_last_one_is_done(farm):
    finish_other_tasks(farm, 1)
    set_task(farm, 5, state=FAILED)
    accepted(farm, 1, {"state": "done"})
    assert job_row(farm)["state"] == FAILED


def test_a_requeued_failure_keeps_the_job_unfinished(farm):
    finish_other_tasks(farm, 1)
    assign(farm, 1, state=RUNNING)
    accepted(farm, 1, {"state": "failed"})
    assert job_row(farm)["state"] is None


def test_a_task_running_on_an_online_agent_runs_the_job(farm):
    assign(farm, 1)
    _, _, before, after = timed_update(farm, 1, {"state": "running"}, agent=True)
    job = job_row(farm)
    assert (job["state"], job["time_finished"]) == (RUNNING, None), job
    assert_between(job["time_started"], before, after, "job time_started")


def test_an_assigned_queued_task_runs_the_job(farm):
    assign(farm, 1)
    accepted(farm, 2, {"state": "queued"})
    assert job_row(farm)["state"] == RUNNING


def test_tasks_of_offline_or_disabled_agents_do_not_run_the_job(farm):
    for agent_state in (OFFLINE, DISABLED):
        farm.reset()
        set_agent(farm, state=agent_state)
        assign(farm, 1)
        accepted(farm, 1, {"state": "running"})
        assert job_row(farm) == {"state": None, "time_started": None, "time_finished": None}


def test_a_running_job_keeps_its_start(farm):
    set_job(farm, state=RUNNING, time_started=OLD)
    assign(farm, 1)
    accepted(farm, 1, {"state": "running"})
    assert job_row(farm) == {"state": RUNNING, "time_started": OLD, "time_finished": None}


def test_a_finished_job_runs_again_with_a_new_start(farm):
    set_job(farm, state=DONE, time_started=OLDER, time_finished=OLD)
    assign(farm, 1, state=DONE)
    _, _, before, after = timed_update(farm, 1, {"state": "running"}, agent=True)
    job = job_row(farm)
    assert (job["state"], job["time_finished"]) == (RUNNING, None), job
    assert_between(job["time_started"], before, after, "job time_started")


def test_a_running_job_without_running_tasks_is_queued(farm):
    set_job(farm, state=RUNNING, time_started=OLD)
    assign(farm, 1, state=RUNNING)
    accepted(farm, 1, {"state": "queued", "agent_id": None})
    assert job_row(farm)["state"] is None


def test_a_repeated_state_is_a_transition(farm):
    # The task was already running: the update still recomputes the job.
    assign(farm, 1, state=RUNNING, time_started=OLD)
    _, row = accepted(farm, 1, {"state": "running"}, agent=True)
    assert row["time_started"] == OLD, row
    assert job_row(farm)["state"] == RUNNING


def test_a_paused_job_stays_paused_until_its_tasks_finish(farm):
    set_job(farm, state=PAUSED)
    assign(farm, 1)
    accepted(farm, 1, {"state": "running"}, agent=True)
    assert job_row(farm)["state"] == PAUSED
    finish_other_tasks(farm, 1)
    _, _, before, after = timed_update(farm, 1, {"state": "done"}, agent=True)
    job = job_row(farm)
    assert job["state"] == DONE, job
    assert_between(job["time_finished"], before, after, "job time_finished")


def test_an_update_without_a_state_leaves_the_job_alone(farm):
    # The job's stored state contradicts its tasks: only a state change
    # would recompute it.
    set_job(farm, state=FAILED, time_finished=OLD)
    assign(farm, 1, state=RUNNING)
    before = job_text(farm)
    for body in ({"progress": 0.5}, {"state": None, "last_error": "x"},
                 {"time_started": "now"}, {"agent_id": None}, {"failed_in_agents": []}):
        accepted(farm, 1, body)
        assert job_text(farm) == before, body


def test_the_other_job_is_left_alone(farm):
    set_job(farm, 2, state=FAILED)
    finish_other_tasks(farm, 1)
    accepted(farm, 1, {"state": "done"})
    assert (job_row(farm)["state"], job_row(farm, 2)["state"]) == (DONE, FAILED)
