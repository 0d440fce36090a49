"""POST /api/v1/jobs/<job> -- updating a job.

Sections of doc/api.md covered:
  §6    update, step by step: 1 unknown job, 2 `tiles`, 3 job without
        tasks, 4 start/end/by, 5 parents, 6 user, 7 jobqueue, 8-10 read-only
        keys, 11 column types and values, 12 software requirements, 13 tag
        requirements, 14 jobtype version, 15 unknown columns, 16 the 200
        answer (the job object without notified_users, start/end as
        floats from step 4)
  §0.4  a failing request changes nothing
  §0.7  job state input and display
  §0.8  the job object
  §9.1  frame range -> tasks (kept tasks keep their rows, new ones take the
        job priority and the task defaults, new frames reset the state)
  §9.2  job state recomputed after a range change
  §9.3  deleted tasks take their failed_tasks_in_agents rows along and
        their task_log_associations by cascade
  §9.5  software requirements (errors are {"error": ["..."]})
  §9.6  job queue paths
  §13   rows 1, 2 and 15: the seed's update example is POST, 200, and
        start/end change the tasks

Deliberate improvements over the reference, asserted as such and marked
"ours" below (the module's messages: src/core/job_update_rules.c): `by` is
applied (the reference answers 200 with an error); a wrongly typed column is 400 (the reference: 200 with the
error); `parents` replaces the job's parents (the reference always ends in
400 "Unknown columns"); the answer shows the job's queue (the reference:
null); a failing update changes nothing, not even the tasks out of range; tiled frames that stay in range keep all their tiles and new frames
get num_tiles tiles; wrong types the reference crashes on (500) are 400;
`id` changes, unknown job_group_id/user_id/job_queue_id, out-of-range
priority/ram/cpus, a user_id beyond 32 bits and unknown states are 4xx; after a range change the job
state is recomputed (§9.2) unless the request sets one.
"""

import datetime
import threading
import urllib.parse
from decimal import Decimal

from check import expect
from farm import Client

API = "/api/v1/jobs"
JSON_TYPE = {"Content-Type": "application/json"}
DEMO_AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"

# Tables an update may write to: a failing update must leave every row of
# them as it was.
SNAPSHOT_TABLES = ("jobs", "tasks", "job_software_requirements", "job_tag_requirements",
                   "job_tag_associations", "job_dependencies", "tags", "users",
                   "failed_tasks_in_agents", "task_log_associations")

STATE_MESSAGE = "`state` must be one of paused, running, done, failed"


# ---------------------------------------------------------------- helpers

def error(message):
    return {"error": message}


def requirement_error(message):
    """§9.5: software-requirement errors carry a list."""
    return {"error": [message]}


def scalar(farm, sql):
    rows = farm.pg.query(sql)
    assert len(rows) == 1 and len(rows[0]) == 1, f"{sql}: {rows}"
    return rows[0][0]


def sql_text(value):
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def python_isoformat(pg_timestamp):
    """A TIMESTAMP as the reference renders it (§0.6)."""
    if pg_timestamp is None:
        return None
    return datetime.datetime.fromisoformat(pg_timestamp).isoformat()


def job_path(ref):
    if isinstance(ref, str):
        ref = urllib.parse.quote(ref, safe="")
    return f"{API}/{ref}"


def update(farm, payload, ref=1):
    """POST `payload` to the job `ref` (id or title): str/bytes verbatim as
    application/json, anything else as json.dumps(payload)."""
    if isinstance(payload, (str, bytes)):
        return farm.client.post(job_path(ref), body=payload, headers=JSON_TYPE)
    return farm.client.post(job_path(ref), json=payload)


def snapshot(farm):
    """Every row of SNAPSHOT_TABLES as (table, row text), sorted."""
    sql = " UNION ALL ".join(f"SELECT '{t}', x::text FROM {t} x" for t in SNAPSHOT_TABLES)
    return sorted(farm.pg.query(sql))


def assert_unchanged(farm, before):
    after = snapshot(farm)
    if after != before:
        gone = sorted(set(before) - set(after))
        new = sorted(set(after) - set(before))
        raise AssertionError(f"a refused update changed rows:\n  before: {gone}\n  after:  {new}")


def refused(farm, payload, status, answer, ref=1):
    """Send `payload`, expect exactly `status` and the JSON `answer`, and
    that no row of SNAPSHOT_TABLES changed (§0.4; ours for the tasks out
    of range, which the reference deletes anyway)."""
    before = snapshot(farm)
    resp = update(farm, payload, ref)
    expect(resp, status, json=answer, headers=JSON_TYPE)
    assert_unchanged(farm, before)
    return resp


def misfit(name, converted, expected_class):
    """§6 step 11: the reference's 200-with-error text."""
    return error(f"Column `{name}` is of type {converted}, but we expected {expected_class}")


def software_id(farm, name):
    return int(scalar(farm, f"SELECT id FROM software WHERE software = {sql_text(name)}"))


def version_id(farm, software, version):
    return int(scalar(farm, "SELECT v.id FROM software_versions v JOIN software s ON "
                            f"s.id = v.software_id WHERE s.software = {sql_text(software)} "
                            f"AND v.version = {sql_text(version)}"))


def requirement(farm, software, min_version=None, max_version=None):
    """A software_requirements entry of the job object."""
    return {"software_id": software_id(farm, software), "software": software,
            "min_version_id": min_version and version_id(farm, software, min_version),
            "min_version": min_version,
            "max_version_id": max_version and version_id(farm, software, max_version),
            "max_version": max_version}


def demo_job(farm, job_id, **changes):
    """The update answer (§6: the §0.8 object without notified_users) of
    demo job 1 or 2 as sql/demo.sql loads it, with
    `changes` applied; time_submitted is read from the database."""
    obj = {
        "id": job_id, "title": "Demo shot 010", "state": "queued",
        "priority": 0, "weight": 10, "minimum_agents": None, "maximum_agents": None,
        "job_group_id": None, "jobgroup": None, "notes": "", "output_link": None,
        "num_tiles": None, "batch": 1, "requeue": 3, "cpus": 1, "ram": 32,
        "ram_warning": None, "ram_max": None, "hidden": False, "to_be_deleted": False,
        "completion_notify_sent": False, "autodelete_time": None,
        "time_submitted": python_isoformat(scalar(
            farm, f"SELECT time_submitted FROM jobs WHERE id = {job_id}")),
        "time_started": None, "time_finished": None,
        "by": 1.0, "start": 1.0, "end": 10.0,
        "data": {"scene": "shot010.blend"}, "environ": None,
        "jobtype": "Blender", "jobtype_version": 1, "user": "alice", "jobqueue": "/render",
        "tags": ["workstation"],
        "software_requirements": [requirement(farm, "blender", "2.79")],
        "tag_requirements": [], "parents": [], "children": [],
    }
    if job_id == 2:
        obj.update(title="Demo shot 020", end=4.0, data=None, jobtype_version=2, user=None,
                   jobqueue=None, tags=[], software_requirements=[])
    assert len(obj) == 39
    unknown = changes.keys() - obj.keys()
    assert not unknown, f"not keys of the update answer: {unknown}"
    obj.update(changes)
    return obj


def updated(farm, payload, job_id=1, ref=None, **changes):
    """Send `payload` to demo job `job_id` (or `ref`) and expect 200 with
    its whole object, `changes` applied.  Returns the response."""
    resp = update(farm, payload, job_id if ref is None else ref)
    expect(resp, 200, json=demo_job(farm, job_id, **changes), headers=JSON_TYPE)
    return resp


def get_job(farm, job_id):
    return expect(farm.client.get(job_path(job_id)), 200).json()


def job_row(farm, job_id, columns):
    """Columns of the jobs row as psql text (None for NULL)."""
    row = farm.pg.query(f"SELECT {', '.join(columns)} FROM jobs WHERE id = {job_id}")[0]
    return dict(zip(columns, row))


def job_times(farm, job_id):
    """time_started and time_finished of the job, rendered (§0.6)."""
    row = job_row(farm, job_id, ("time_started", "time_finished"))
    return python_isoformat(row["time_started"]), python_isoformat(row["time_finished"])


def task_frames(farm, job_id):
    """(frame as Decimal, tile as int or None) of the job's tasks, in order."""
    rows = farm.pg.query(f"SELECT frame, tile FROM tasks WHERE job_id = {job_id} "
                         "ORDER BY frame, tile NULLS FIRST")
    return [(Decimal(frame), None if tile is None else int(tile)) for frame, tile in rows]


def frames(*values):
    """Expected task_frames of untiled frames."""
    return [(Decimal(str(v)), None) for v in values]


def task_ids(farm, job_id):
    """{frame as Decimal: task id} of an untiled job."""
    rows = farm.pg.query(f"SELECT frame, id FROM tasks WHERE job_id = {job_id}")
    return {Decimal(frame): int(task_id) for frame, task_id in rows}


def set_tasks(farm, job_id, assignments, where):
    farm.pg.psql(f"UPDATE tasks SET {assignments} WHERE job_id = {job_id} AND {where}")


def set_job(farm, job_id, assignments):
    farm.pg.psql(f"UPDATE jobs SET {assignments} WHERE id = {job_id}")


def tile_job_2(farm, num_tiles):
    """Demo job 2 tiled: num_tiles set, its frames 1..4 with tiles 0..num_tiles-1."""
    set_job(farm, 2, f"num_tiles = {num_tiles}")
    farm.pg.psql(f"""
        DELETE FROM tasks WHERE job_id = 2;
        INSERT INTO tasks (job_id, frame, tile, priority, attempts, failures, progress,
                           hidden, sent_to_agent, time_submitted)
        SELECT 2, f, t, 0, 0, 0, 0.0, false, false, now() AT TIME ZONE 'utc'
          FROM generate_series(1, 4) f, generate_series(0, {num_tiles - 1}) t""")


def add_user(farm, name):
    return int(scalar(farm, f"INSERT INTO users (username, active) VALUES "
                            f"({sql_text(name)}, true) RETURNING id"))


def add_job_group(farm, title):
    return int(scalar(farm, "INSERT INTO job_groups (title, main_jobtype_id) VALUES "
                            f"({sql_text(title)}, (SELECT id FROM jobtypes)) RETURNING id"))


def add_job(farm, title):
    """A job without tasks (enough to be a parent); returns its id."""
    return int(scalar(farm, "INSERT INTO jobs (title, jobtype_version_id, weight, hidden, "
                            "to_be_deleted, completion_notify_sent, notes, time_submitted) "
                            f"VALUES ({sql_text(title)}, (SELECT min(id) FROM jobtype_versions), "
                            "10, false, false, false, '', now()) RETURNING id"))


def queue_id(farm, path):
    return int(scalar(farm, f"SELECT id FROM job_queues WHERE fullpath = {sql_text(path)}"))


def user_id(farm, name):
    return int(scalar(farm, f"SELECT id FROM users WHERE username = {sql_text(name)}"))


# ------------------------------------------- §6 steps 1-3 and the body

def test_unknown_job_is_not_found(farm):
    for ref in (99, "Nope", "demo shot 010", 2 ** 64):
        refused(farm, {"notes": "x"}, 404, error("Job not found"), ref=ref)


def test_unknown_job_wins_over_tiles(farm):
    refused(farm, {"tiles": 2}, 404, error("Job not found"), ref=99)


def test_job_is_found_by_title(farm):
    updated(farm, {"notes": "by title"}, job_id=2, ref="Demo shot 020", notes="by title")
    assert job_row(farm, 2, ("notes",)) == {"notes": "by title"}


def test_tiles_cannot_be_updated(farm):
    for value in (2, None, 0):
        refused(farm, {"tiles": value}, 400,
                error("Frame tiling cannot be updated after job creation."))


def test_job_without_tasks_is_a_server_error(farm):
    farm.pg.psql("DELETE FROM tasks WHERE job_id = 2")
    refused(farm, {"notes": "x"}, 500, error("Job does not have any tasks"), ref=2)
    refused(farm, {"end": 5}, 500, error("Job does not have any tasks"), ref=2)


def test_tiles_are_checked_before_the_tasks(farm):
    farm.pg.psql("DELETE FROM tasks WHERE job_id = 2")
    refused(farm, {"tiles": 2}, 400,
            error("Frame tiling cannot be updated after job creation."), ref=2)


def test_body_must_be_a_json_object(farm):
    # ours: the reference crashes (500)
    for payload, kind in (("[]", "list"), ("[{\"notes\": \"x\"}]", "list"), ("5", "int"),
                          ('"x"', "str"), ("null", "NoneType"), ("true", "bool")):
        refused(farm, payload, 400, error(f"dictionary expected but got {kind} instead"))


def test_empty_object_changes_nothing_and_answers_the_job(farm):
    before = snapshot(farm)
    updated(farm, {})
    assert snapshot(farm) == before


def test_answer_lacks_notified_users_but_get_has_them(farm):
    resp = updated(farm, {})
    assert "notified_users" not in resp.json()
    assert get_job(farm, 1) == {**resp.json(), "notified_users": []}


# ------------------------------------------------ §6 step 4 and §9.1: range

def test_seed_example_start_deletes_frame_1(farm):
    ids = task_ids(farm, 1)
    updated(farm, {"start": 2.0}, start=2.0)
    assert task_frames(farm, 1) == frames(*range(2, 11))
    assert task_ids(farm, 1) == {f: i for f, i in ids.items() if f != 1}
    got = get_job(farm, 1)
    assert (got["start"], got["end"]) == (2.0, 10.0), got


def test_end_adds_frames_with_the_job_priority_and_task_defaults(farm):
    set_job(farm, 1, "priority = 7")
    ids = task_ids(farm, 1)
    updated(farm, {"end": 12}, priority=7, end=12.0)
    assert task_frames(farm, 1) == frames(*range(1, 13))
    assert {f: i for f, i in task_ids(farm, 1).items() if f <= 10} == ids
    rows = farm.pg.query(
        "SELECT state, priority, attempts, failures, progress, hidden, sent_to_agent, tile, "
        "agent_id, last_error, time_started, time_finished, time_submitted IS NOT NULL "
        "FROM tasks WHERE job_id = 1 AND frame > 10 ORDER BY frame")
    assert rows == [(None, "7", "0", "0", "0", "f", "f", None, None, None, None, None,
                     "t")] * 2, rows


def test_new_frames_reset_the_state(farm):
    # §9.1 step 5: on update even a running job goes back to queued (a
    # paused one stays paused: see below)
    for code in (105, 106, 107):
        farm.reset()
        set_job(farm, 1, f"state = {code}")
        updated(farm, {"end": 11}, end=11.0)
        assert job_row(farm, 1, ("state",)) == {"state": None}, code


def test_start_and_end_together(farm):
    updated(farm, {"start": 3, "end": 5}, start=3.0, end=5.0)
    assert task_frames(farm, 1) == frames(3, 4, 5)


def test_by_relays_the_frames(farm):
    # ours: the reference answers 200 with an error and keeps the tasks
    ids = task_ids(farm, 1)
    updated(farm, {"start": 1, "end": 10, "by": 2}, by=2.0)
    assert task_frames(farm, 1) == frames(1, 3, 5, 7, 9)
    assert task_ids(farm, 1) == {f: ids[f] for f in map(Decimal, (1, 3, 5, 7, 9))}
    assert job_row(farm, 1, ("by",)) == {"by": "2.0000"}


def test_by_alone_keeps_the_first_and_last_frame(farm):
    updated(farm, {"by": 3}, by=3.0)
    assert task_frames(farm, 1) == frames(1, 4, 7, 10)


def test_answer_shows_the_requested_end_not_the_last_frame(farm):
    updated(farm, {"by": 2}, by=2.0, end=10.0)
    assert task_frames(farm, 1)[-1] == (Decimal(9), None)
    assert get_job(farm, 1)["end"] == 9.0


def test_fractional_steps_are_exact(farm):
    updated(farm, {"end": 2, "by": 0.5}, end=2.0, by=0.5)
    assert task_frames(farm, 1) == frames(1, 1.5, 2)
    updated(farm, {"start": 0, "end": 1, "by": 0.1}, start=0.0, end=1.0, by=0.1)
    assert task_frames(farm, 1) == frames(*[f"0.{i}" for i in range(10)], "1.0")


def test_numeric_strings_and_booleans_convert(farm):
    updated(farm, {"start": "2", "end": "4"}, start=2.0, end=4.0)
    assert task_frames(farm, 1) == frames(2, 3, 4)
    updated(farm, {"start": True, "end": "2.5", "by": "0.5"}, start=1.0, end=2.5, by=0.5)
    assert task_frames(farm, 1) == frames(1, 1.5, 2, 2.5)
    updated(farm, {"start": False, "end": 1, "by": True}, start=0.0, end=1.0, by=1.0)
    assert task_frames(farm, 1) == frames(0, 1)
    updated(farm, {"start": "1e0", "end": "3"}, start=1.0, end=3.0)
    assert task_frames(farm, 1) == frames(1, 2, 3)


def test_numeric_strings_convert_as_python_decimal_reads_them(farm):
    # Decimal() takes a sign, a bare point and surrounding blanks
    updated(farm, {"start": "+2", "end": "4."}, start=2.0, end=4.0)
    assert task_frames(farm, 1) == frames(2, 3, 4)
    updated(farm, {"start": ".5", "end": " 2.5 "}, start=0.5, end=2.5)
    assert task_frames(farm, 1) == frames(0.5, 1.5, 2.5)


def test_start_end_or_by_not_numbers_are_refused(farm):
    # ours: the reference crashes (500)
    for key in ("start", "end", "by"):
        for value in (None, "abc", "", [1], {"a": 1}, "1,5"):
            refused(farm, {key: value}, 400,
                    error(f"`{key}` needs to be of type decimal or int"))


def test_end_before_start_is_refused(farm):
    message = error("`end` must be greater than or equal to `start`")
    for fields in ({"end": 0}, {"start": 11}, {"start": 5, "end": 4.9999},
                   {"start": "3", "end": "2.5"}):
        refused(farm, fields, 400, message)


def test_end_equal_to_start_is_one_frame(farm):
    updated(farm, {"start": 4, "end": 4}, start=4.0, end=4.0)
    assert task_frames(farm, 1) == frames(4)


def test_by_zero_or_negative_is_refused(farm):
    # ours: the reference loops forever
    for by in (0, 0.0, -1, "-0.5", False, "0"):
        refused(farm, {"by": by}, 400, error("`by` must be greater than 0"))


def test_frames_beyond_the_numeric_range_are_refused(farm):
    message = error("start, end and by must be between -999999.9999 and 999999.9999")
    for fields in ({"end": 1000000}, {"start": -1000000}, {"by": 1000000}):
        refused(farm, fields, 400, message)


def test_more_tasks_than_the_limit_are_refused(farm):
    # PyFarmJobsMaxTasksPerJob defaults to 1000000
    refused(farm, {"start": 0, "end": 100000, "by": 0.1}, 400,
            error("the frame range would create more than 1000000 tasks"))


def test_task_limit_counts_the_tiles_of_the_job(farm):
    # job 2 with 3 tiles per frame: 350000 frames are 1050000 tasks
    set_job(farm, 2, "num_tiles = 3")
    refused(farm, {"end": 350000}, 400,
            error("the frame range would create more than 1000000 tasks"), ref=2)


def test_tiled_frames_in_range_keep_all_tiles_and_new_frames_get_every_tile(farm):
    # ours: the reference deletes all but one tile of kept frames, and
    # creates num_tiles - 1 tiles per new frame
    tile_job_2(farm, 3)
    kept = farm.pg.query("SELECT id FROM tasks WHERE job_id = 2 AND frame BETWEEN 2 AND 4 "
                         "ORDER BY id")
    updated(farm, {"start": 2, "end": 5}, job_id=2, num_tiles=3, start=2.0, end=5.0)
    assert task_frames(farm, 2) == [(Decimal(f), t) for f in (2, 3, 4, 5) for t in (0, 1, 2)]
    assert farm.pg.query("SELECT id FROM tasks WHERE job_id = 2 AND frame BETWEEN 2 AND 4 "
                         "ORDER BY id") == kept


def test_deleted_tasks_take_their_failure_rows_and_log_associations(farm):
    ids = task_ids(farm, 1)
    farm.pg.psql(f"""
        INSERT INTO failed_tasks_in_agents (agent_id, task_id)
        VALUES ('{DEMO_AGENT}', {ids[1]}), ('{DEMO_AGENT}', {ids[2]});
        INSERT INTO task_logs (identifier, agent_id, created_on)
        VALUES ('frame1.log', '{DEMO_AGENT}', now() AT TIME ZONE 'utc');
        INSERT INTO task_log_associations (task_log_id, task_id, attempt, state)
        SELECT id, t, 1, NULL FROM task_logs, (VALUES ({ids[1]}), ({ids[2]})) v(t)""")
    updated(farm, {"start": 2}, start=2.0)
    assert farm.pg.query("SELECT task_id FROM failed_tasks_in_agents") == [(str(ids[2]),)]
    assert farm.pg.query("SELECT task_id FROM task_log_associations") == [(str(ids[2]),)]
    assert scalar(farm, "SELECT count(*) FROM task_logs") == "1"


def test_tasks_an_agent_holds_are_deleted_with_the_range(farm):
    set_tasks(farm, 1, f"agent_id = '{DEMO_AGENT}', state = 105", "frame = 10")
    updated(farm, {"end": 9}, end=9.0)
    assert task_frames(farm, 1) == frames(*range(1, 10))
    assert job_row(farm, 1, ("state",)) == {"state": None}


# ------------------------------------- §9.2: state after a range change

def test_range_leaving_only_done_tasks_finishes_the_job(farm):
    set_tasks(farm, 1, "state = 106", "frame <= 5")
    resp = update(farm, {"end": 5})
    started, finished = job_times(farm, 1)
    assert started is None and finished is not None
    expect(resp, 200, json=demo_job(farm, 1, end=5.0, state="done", time_finished=finished))
    assert job_row(farm, 1, ("state",)) == {"state": "106"}


def test_range_leaving_a_failed_task_fails_the_job(farm):
    set_tasks(farm, 1, "state = 106", "frame <= 5")
    set_tasks(farm, 1, "state = 107", "frame = 3")
    resp = update(farm, {"end": 5})
    started, finished = job_times(farm, 1)
    assert finished is not None
    expect(resp, 200, json=demo_job(farm, 1, end=5.0, state="failed", time_finished=finished))
    assert job_row(farm, 1, ("state",)) == {"state": "107"}


def test_task_running_or_queued_on_an_online_agent_makes_the_job_running(farm):
    for task_state in ("105", "NULL"):
        farm.reset()
        set_tasks(farm, 1, f"agent_id = '{DEMO_AGENT}', state = {task_state}", "frame = 1")
        resp = update(farm, {"end": 5})
        started, finished = job_times(farm, 1)
        assert started is not None and finished is None, task_state
        expect(resp, 200, json=demo_job(farm, 1, end=5.0, state="running",
                                        time_started=started))
        assert job_row(farm, 1, ("state",)) == {"state": "105"}


def test_paused_task_on_an_agent_does_not_make_the_job_running(farm):
    set_tasks(farm, 1, f"agent_id = '{DEMO_AGENT}', state = 100", "frame = 1")
    updated(farm, {"end": 5}, end=5.0, state="running")  # displayed: assigned task (§0.7)
    assert job_row(farm, 1, ("state",)) == {"state": None}


def test_task_on_an_offline_agent_leaves_the_job_queued(farm):
    farm.pg.psql(f"UPDATE agents SET state = 201 WHERE id = '{DEMO_AGENT}'")
    set_tasks(farm, 1, f"agent_id = '{DEMO_AGENT}', state = 105", "frame = 1")
    set_job(farm, 1, "state = 105")
    # the stored state is NULL; an assigned task displays it as running (§0.7)
    updated(farm, {"end": 5}, end=5.0, state="running")
    assert job_row(farm, 1, ("state", "time_started")) == {"state": None,
                                                          "time_started": None}


def test_running_job_without_running_tasks_is_requeued(farm):
    set_job(farm, 1, "state = 105")
    updated(farm, {"end": 9}, end=9.0)
    assert job_row(farm, 1, ("state",)) == {"state": None}


def test_paused_job_with_unfinished_tasks_stays_paused(farm):
    set_job(farm, 1, "state = 100")
    updated(farm, {"end": 9}, end=9.0, state="paused")


def test_paused_job_with_new_frames_stays_paused(farm):
    # ours: the reference's new frames reset the state, unpausing the job
    set_job(farm, 1, "state = 100")
    updated(farm, {"end": 12}, end=12.0, state="paused")
    assert job_row(farm, 1, ("state",)) == {"state": "100"}
    assert len(task_ids(farm, 1)) == 12


def test_paused_job_left_with_finished_tasks_is_done(farm):
    set_job(farm, 1, "state = 100")
    set_tasks(farm, 1, "state = 106", "frame <= 5")
    resp = update(farm, {"end": 5})
    expect(resp, 200, json=demo_job(farm, 1, end=5.0, state="done",
                                    time_finished=job_times(farm, 1)[1]))
    assert job_row(farm, 1, ("state",)) == {"state": "106"}


def test_requested_state_wins_over_the_recomputation(farm):
    set_tasks(farm, 1, "state = 106", "frame <= 5")
    updated(farm, {"end": 5, "state": "paused"}, end=5.0, state="paused")
    assert job_row(farm, 1, ("state", "time_finished")) == {"state": "100",
                                                           "time_finished": None}


# ------------------------------------------------------ §6 step 5: parents

def test_unknown_parent_is_a_bare_string(farm):
    resp = refused(farm, {"parents": [{"id": 2}, {"id": 99}, {"id": 98}]}, 404,
                   "Parent job 99 not found")
    expect(resp, 404, body='"Parent job 99 not found"')


def parents_of(farm, job_id):
    return [int(r[0]) for r in farm.pg.query(
        f"SELECT parentid FROM job_dependencies WHERE childid = {job_id} ORDER BY parentid")]


def test_parents_replace_the_jobs_parents(farm):
    # ours: the reference always ends in 400 "Unknown columns"
    third = add_job(farm, "Third")
    updated(farm, {"parents": [{"id": 2}], "notes": "x"}, notes="x",
            parents=[{"id": 2, "title": "Demo shot 020"}])
    assert parents_of(farm, 1) == [2]
    assert get_job(farm, 2)["children"] == [{"id": 1, "title": "Demo shot 010"}]
    updated(farm, {"parents": [{"id": third}, {"id": 2}, {"id": third}]}, notes="x",
            parents=[{"id": 2, "title": "Demo shot 020"}, {"id": third, "title": "Third"}])
    assert parents_of(farm, 1) == [2, third]
    updated(farm, {"parents": [{"id": third}]}, notes="x",
            parents=[{"id": third, "title": "Third"}])
    assert parents_of(farm, 1) == [third]
    updated(farm, {"parents": []}, notes="x")
    assert parents_of(farm, 1) == []


def test_parents_leave_the_other_jobs_dependencies_alone(farm):
    third = add_job(farm, "Third")
    farm.pg.psql(f"INSERT INTO job_dependencies (parentid, childid) VALUES (1, {third}), "
                 f"(2, {third})")
    updated(farm, {"parents": [{"id": 2}]}, parents=[{"id": 2, "title": "Demo shot 020"}],
            children=[{"id": third, "title": "Third"}])
    assert parents_of(farm, third) == [1, 2]
    updated(farm, {"parents": []}, job_id=2,
            children=[{"id": 1, "title": "Demo shot 010"}, {"id": third, "title": "Third"}])
    assert parents_of(farm, third) == [1, 2]


def test_a_job_cannot_be_its_own_parent(farm):
    refused(farm, {"parents": [{"id": 2}, {"id": 1}]}, 400,
            error("A job cannot be its own parent"))
    refused(farm, {"parents": [{"id": 1}]}, 400, error("A job cannot be its own parent"),
            ref="Demo shot 010")


def test_a_parent_cycle_is_refused(farm):
    third = add_job(farm, "Third")
    # 1 -> 2 -> third: neither 2 nor third can become a parent of 1
    farm.pg.psql(f"INSERT INTO job_dependencies (parentid, childid) VALUES (1, 2), "
                 f"(2, {third})")
    refused(farm, {"parents": [{"id": third}]}, 400,
            error(f"Job {third} depends on this job and cannot be its parent"))
    refused(farm, {"parents": [{"id": 2}]}, 400,
            error("Job 2 depends on this job and cannot be its parent"))
    # an existing cycle elsewhere does not hang the check
    farm.pg.psql(f"INSERT INTO job_dependencies (parentid, childid) VALUES ({third}, 2)")
    refused(farm, {"parents": [{"id": 2}]}, 400,
            error("Job 2 depends on this job and cannot be its parent"))


def test_simultaneous_parent_changes_make_no_cycle(farm):
    # 1 <- 2 and 2 <- 1 sent at once: each alone is fine, together a cycle
    def send(job, parent, answers):
        client = Client(farm.httpd.port)
        answers[job] = client.post(job_path(job), json={"parents": [{"id": parent}]})
        client.close()

    for _ in range(10):
        farm.pg.psql("DELETE FROM job_dependencies")
        answers = {}
        threads = [threading.Thread(target=send, args=(job, 3 - job, answers))
                   for job in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(a.status for a in answers.values()) == [200, 400], answers
        assert len(farm.pg.query("SELECT 1 FROM job_dependencies")) == 1


def test_malformed_parents_are_refused_as_on_submit(farm):
    for value, kind in ((None, "NoneType"), ({"id": 2}, "dict"), (2, "int"), ("2", "str")):
        refused(farm, {"parents": value}, 400,
                error(f"field 'parents' has type <class '{kind}'> but we expected type(s) "
                      "<class 'list'>"))
    for value in ([2], [{"id": "2"}], [{"id": True}], [{}], [{"id": None}]):
        refused(farm, {"parents": value}, 400,
                error("every parent must be an object with an integer `id`"))


# ------------------------------------------------ §6 steps 6-7: user, queue

def test_unknown_user_is_not_found_and_not_created(farm):
    refused(farm, {"user": "nobody"}, 404, error("User nobody not found"))


def test_known_user_becomes_the_owner(farm):
    bob = add_user(farm, "bob")
    updated(farm, {"user": "bob"}, user="bob")
    assert job_row(farm, 1, ("user_id",)) == {"user_id": str(bob)}
    updated(farm, {"user": "alice"}, job_id=2, user="alice")


def test_falsy_user_is_ignored(farm):
    for user in ("", None, 0, False):
        updated(farm, {"user": user})
        assert job_row(farm, 1, ("user_id",)) == {"user_id": str(user_id(farm, "alice"))}


def test_jobqueue_changes_the_queue_and_the_answer_shows_it(farm):
    # ours: the reference's answer shows null
    updated(farm, {"jobqueue": "render/hi"}, jobqueue="/render/hi")
    updated(farm, {"jobqueue": "render"}, job_id=2, jobqueue="/render")
    assert job_row(farm, 1, ("job_queue_id",)) == {"job_queue_id": str(queue_id(farm,
                                                                                "/render/hi"))}
    assert get_job(farm, 1)["jobqueue"] == "/render/hi"


def test_unknown_jobqueue_is_not_found(farm):
    for path in ("nope", "/render", "render/nope", "hi", "render/hi/x"):
        refused(farm, {"jobqueue": path}, 404, error(f"Jobqueue {path} not found"))


def test_falsy_jobqueue_is_ignored(farm):
    for value in ("", None):
        updated(farm, {"jobqueue": value})
        assert job_row(farm, 1, ("job_queue_id",)) == {"job_queue_id": str(queue_id(
            farm, "/render"))}


# ------------------------------------------- §6 steps 8-10: read-only keys

def test_times_cannot_be_set(farm):
    for key in ("time_started", "time_finished", "time_submitted"):
        for value in (None, "2020-01-01T00:00:00", 0):
            refused(farm, {key: value}, 400, error(f"`{key}` cannot be set manually"))


def test_jobtype_version_id_cannot_be_set(farm):
    refused(farm, {"jobtype_version_id": 2}, 400,
            error("`jobtype_version_id` cannot be set manually"))


def test_jobgroup_cannot_be_set_directly(farm):
    refused(farm, {"jobgroup": "shots"}, 400,
            error("`jobgroup` cannot be set directly, use  job_group_id."))


# ------------------------------------------------ §6 step 11: the columns

def test_every_column_takes_a_valid_value(farm):
    group = add_job_group(farm, "shots")
    hi = queue_id(farm, "/render/hi")
    fields = {"id": 2, "state": "paused", "priority": 5, "job_queue_id": hi,
              "job_group_id": group, "user_id": user_id(farm, "alice"),
              "minimum_agents": 1, "maximum_agents": 4, "weight": 3, "title": "Renamed",
              "notes": "n", "output_link": "http://x/y", "num_tiles": 4, "batch": 2,
              "requeue": -1, "cpus": 8, "ram": 1024, "ram_warning": 2048, "ram_max": 4096,
              "hidden": True, "environ": {"PATH": "/bin"}, "data": {"k": [1, None]},
              "to_be_deleted": True, "completion_notify_sent": True,
              "autodelete_time": 3600}
    shown = {k: v for k, v in fields.items() if k not in ("job_queue_id", "user_id")}
    resp = updated(farm, fields, job_id=2, jobgroup="shots", user="alice",
                   jobqueue="/render/hi", **shown)
    assert get_job(farm, 2) == {**resp.json(), "notified_users": []}
    row = job_row(farm, 2, ("state", "priority", "job_queue_id", "job_group_id", "user_id",
                            "minimum_agents", "maximum_agents", "weight", "title", "notes",
                            "output_link", "num_tiles", "batch", "requeue", "cpus", "ram",
                            "ram_warning", "ram_max", "hidden", "environ", "data",
                            "to_be_deleted", "completion_notify_sent", "autodelete_time",
                            "time_started", "time_finished"))
    assert row == {"state": "100", "priority": "5", "job_queue_id": str(hi),
                   "job_group_id": str(group), "user_id": str(user_id(farm, "alice")),
                   "minimum_agents": "1", "maximum_agents": "4", "weight": "3",
                   "title": "Renamed", "notes": "n", "output_link": "http://x/y",
                   "num_tiles": "4", "batch": "2", "requeue": "-1", "cpus": "8",
                   "ram": "1024", "ram_warning": "2048", "ram_max": "4096", "hidden": "t",
                   "environ": '{"PATH": "/bin"}', "data": '{"k": [1, null]}',
                   "to_be_deleted": "t", "completion_notify_sent": "t",
                   "autodelete_time": "3600", "time_started": None,
                   "time_finished": None}, row


def test_null_clears_no_column(farm):
    # null is never of a column's type: str columns take 'None' (the
    # reference: 200 with the error), the others cannot convert it (the
    # reference: 500); ours: 400 either way
    set_job(farm, 1, "minimum_agents = 2, output_link = 'x'")
    refused(farm, {"output_link": None}, 400, misfit("output_link", "'None'", "<class 'str'>"))
    refused(farm, {"minimum_agents": None}, 400,
            misfit("minimum_agents", "<class 'NoneType'>", "<class 'int'>"))


def test_dict_columns_are_stored_as_python_json_text(farm):
    data = {"b": [1, 2.5, True], "a": "é", "n": None, "o": {}}
    updated(farm, {"data": data, "environ": {}}, data=data, environ={})
    assert job_row(farm, 1, ("data", "environ")) == {
        "data": '{"b": [1, 2.5, true], "a": "\\u00e9", "n": null, "o": {}}', "environ": "{}"}


def test_values_the_reference_converts_are_refused_with_its_message(farm):
    # R is the repr of the value converted to the column's Python type; the
    # reference answers 200 with this error, ours 400
    cases = [("priority", 64.7, int), ("priority", "12", int), ("priority", -3.9, int),
             ("weight", " 7 ", int), ("job_group_id", 1.5, int), ("id", "1", int),
             ("title", 5, str), ("title", None, str), ("title", True, str),
             ("title", 1.0, str), ("notes", 1e20, str), ("title", ["x"], str),
             ("title", {"a": "it's"}, str),
             ("hidden", "x", bool), ("hidden", 0, bool), ("hidden", None, bool),
             ("to_be_deleted", 1, bool), ("completion_notify_sent", [], bool),
             ("hidden", "0", bool), ("hidden", {}, bool),
             ("data", [], dict), ("data", "", dict), ("data", [["a", 1]], dict),
             ("environ", [["PATH", "/bin"], ["A", None]], dict),
             ("data", [["b", 1], ["a", 2], ["b", 3]], dict)]
    for key, value, kind in cases:
        refused(farm, {key: value}, 400,
                misfit(key, repr(kind(value)), f"<class '{kind.__name__}'>"))


def test_int_conversion_of_a_large_float_is_exact(farm):
    # Python's int(1e20) is 100000000000000000000
    refused(farm, {"priority": 1e20}, 400,
            misfit("priority", "100000000000000000000", "<class 'int'>"))


def test_dict_conversion_takes_any_pairs(farm):
    # §6: an array of 2-element arrays converts, whatever the keys; Python's
    # dict() also takes two-character strings as pairs
    for value in ([[1, 2]], ["ab"], [[None, True], ["k", "v"]]):
        refused(farm, {"data": value}, 400, misfit("data", repr(dict(value)), "<class 'dict'>"))


def test_values_the_reference_crashes_on_are_refused(farm):
    # ours: the reference answers 500
    cases = [("priority", "abc", "str", "int"), ("priority", "12.0", "str", "int"),
             ("priority", "1e3", "str", "int"), ("priority", None, "NoneType", "int"),
             ("priority", [1], "list", "int"), ("priority", {"a": 1}, "dict", "int"),
             ("priority", True, "bool", "int"), ("id", False, "bool", "int"),
             ("data", 5, "int", "dict"), ("data", None, "NoneType", "dict"),
             ("data", True, "bool", "dict"), ("environ", "ab", "str", "dict"),
             ("data", [["a"]], "list", "dict"), ("data", [1, 2], "list", "dict"),
             ("environ", 1.5, "float", "dict")]
    for key, value, got, wanted in cases:
        refused(farm, {key: value}, 400, misfit(key, f"<class '{got}'>", f"<class '{wanted}'>"))


def test_first_misfit_in_document_order_is_named(farm):
    refused(farm, '{"notes": 5, "priority": 64.7}', 400, misfit("notes", "'5'", "<class 'str'>"))
    refused(farm, '{"priority": 64.7, "notes": 5}', 400, misfit("priority", "64",
                                                                 "<class 'int'>"))


def test_state_running_is_stored_and_starts_the_job(farm):
    resp = update(farm, {"state": "running"})
    started, finished = job_times(farm, 1)
    assert started is not None and finished is None
    expect(resp, 200, json=demo_job(farm, 1, state="running", time_started=started))
    assert job_row(farm, 1, ("state",)) == {"state": "105"}


def test_state_running_keeps_an_earlier_start(farm):
    for code in (100, 105):
        farm.reset()
        set_job(farm, 1, f"state = {code}, time_started = '2020-01-02 03:04:05.5', "
                         "time_finished = '2020-01-03 00:00:00'")
        updated(farm, {"state": "running"}, state="running",
                time_started="2020-01-02T03:04:05.500000", time_finished="2020-01-03T00:00:00")


def test_state_running_after_done_restarts_the_clock(farm):
    set_job(farm, 1, "state = 106, time_started = '2020-01-02 03:04:05', "
                     "time_finished = '2020-01-03 00:00:00'")
    resp = update(farm, {"state": "running"})
    started, finished = job_times(farm, 1)
    assert started != "2020-01-02T03:04:05" and finished is None
    expect(resp, 200, json=demo_job(farm, 1, state="running", time_started=started))


def test_states_done_and_failed_finish_the_job(farm):
    for name, code in (("done", "106"), ("failed", "107")):
        farm.reset()
        resp = update(farm, {"state": name})
        started, finished = job_times(farm, 1)
        assert started is None and finished is not None, name
        expect(resp, 200, json=demo_job(farm, 1, state=name, time_finished=finished))
        assert job_row(farm, 1, ("state",)) == {"state": code}


def test_state_paused_is_stored(farm):
    updated(farm, {"state": "paused"}, state="paused")
    assert job_row(farm, 1, ("state", "time_started", "time_finished")) == {
        "state": "100", "time_started": None, "time_finished": None}


def test_unknown_states_are_refused(farm):
    # ours: the reference answers 500
    for state in ("queued", "bogus", "Running", "", 105, 0, None, 1.5, ["done"]):
        refused(farm, {"state": state}, 400, error(STATE_MESSAGE))


def test_id_cannot_be_changed(farm):
    # ours: the reference breaks the tasks' foreign keys (500)
    updated(farm, {"id": 1})
    refused(farm, {"id": 2}, 400, error("`id` cannot be changed"))
    refused(farm, {"id": 500}, 400, error("`id` cannot be changed"))


def test_unknown_references_by_id_are_not_found(farm):
    # ours: the reference violates a foreign key (500)
    refused(farm, {"job_group_id": 99}, 404, error("Job group 99 not found"))
    refused(farm, {"user_id": 99}, 404, error("User 99 not found"))
    refused(farm, {"job_queue_id": 99}, 404, error("Jobqueue 99 not found"))


def test_columns_at_their_limits_are_accepted(farm):
    updated(farm, {"priority": 1000, "ram": 262144, "cpus": 256}, priority=1000, ram=262144,
            cpus=256)
    updated(farm, {"priority": -1000, "ram": 16, "cpus": 1}, priority=-1000, ram=16, cpus=1)


def test_columns_beyond_their_limits_are_refused(farm):
    # ours: the reference's validators answer 500
    for key, values, low, high in (("priority", (1001, -1001), -1000, 1000),
                                   ("ram", (15, 262145), 16, 262144),
                                   ("cpus", (0, 257), 1, 256)):
        for value in values:
            refused(farm, {key: value}, 400, error(f"`{key}` must be between {low} and {high}"))


def test_integers_beyond_their_column_are_refused(farm):
    for key, value in (("weight", 2 ** 31), ("batch", -2 ** 31 - 1), ("ram_max", 2 ** 40)):
        refused(farm, {key: value}, 400, error(f"field '{key}' is out of range"))


def test_a_user_id_beyond_32_bits_is_out_of_range(farm):
    # it used to fail the lookup's integer cast (500); refused before it, as
    # the other integer columns beyond their column are
    for value in (2 ** 31, -2 ** 31 - 1, 2 ** 40, 2 ** 63):
        refused(farm, {"user_id": value}, 400, error("field 'user_id' is out of range"))


def test_title_longer_than_255_characters_is_refused(farm):
    updated(farm, {"title": "é" * 255}, title="é" * 255)
    refused(farm, {"title": "x" * 256}, 400, error("`title` is longer than 255 characters"))


# ---------------------------------------- §6 step 12: software requirements

def test_software_requirements_are_replaced(farm):
    updated(farm, {"software_requirements": [{"software": "ffmpeg", "max_version": "4.1"}]},
            software_requirements=[requirement(farm, "ffmpeg", None, "4.1")])
    assert farm.pg.query("SELECT software_id, min_version_id, max_version_id FROM "
                         "job_software_requirements WHERE job_id = 1") == \
        [(str(software_id(farm, "ffmpeg")), None, str(version_id(farm, "ffmpeg", "4.1")))]


def test_relisting_a_required_software_updates_its_versions(farm):
    # the reference violates the unique constraint (500)
    reqs = [{"software": "blender", "min_version": "2.80", "max_version": "2.80"},
            {"software": "ffmpeg"}]
    updated(farm, {"software_requirements": reqs},
            software_requirements=[requirement(farm, "blender", "2.80", "2.80"),
                                   requirement(farm, "ffmpeg")])
    assert scalar(farm, "SELECT count(*) FROM job_software_requirements WHERE job_id = 1") == "2"


def test_empty_software_list_removes_every_requirement(farm):
    updated(farm, {"software_requirements": []}, software_requirements=[])
    assert scalar(farm, "SELECT count(*) FROM job_software_requirements") == "0"


def test_software_requirement_errors_are_lists(farm):
    cases = [("blender", 400, "software_requirements must be a list"),
             (None, 400, "software_requirements must be a list"),
             ({"software": "blender"}, 400, "software_requirements must be a list"),
             (["blender"], 400, "Every software_requirement must be a dict"),
             ([{}], 400, "Software requirement does not specify a software."),
             ([{"software": None}], 400, "Software requirement does not specify a software."),
             ([{"software": "ffmpeg"}, {"software": "maya"}], 404, "Software maya not found"),
             ([{"software": "blender", "min_version": "9.9"}], 404,
              "Version 9.9 of software blender not found"),
             ([{"software": "blender", "max_version": "4.1"}], 404,
              "Version 4.1 of software blender not found"),
             ([{"software": "blender", "k": 1}], 400,
              "Unexpected keys in software requirement: dict_keys(['k'])"),
             # ours: the reference violates a unique constraint (500)
             ([{"software": "blender"}, {"software": "blender"}], 400,
              "Software blender is listed twice")]
    for reqs, status, message in cases:
        refused(farm, {"software_requirements": reqs}, status, requirement_error(message))


# --------------------------------------------- §6 step 13: tag requirements

def test_tag_requirements_are_replaced(farm):
    farm.pg.psql("INSERT INTO job_tag_requirements (tag_id, job_id, negate) "
                 "SELECT id, 1, false FROM tags WHERE tag = 'workstation'")
    tags_before = int(scalar(farm, "SELECT count(*) FROM tags"))
    reqs = [{"tag": "gpu", "negate": True}, {"tag": "linux", "negate": 0}]
    updated(farm, {"tag_requirements": reqs},
            tag_requirements=[{"tag": "gpu", "negate": True}, {"tag": "linux", "negate": False}])
    assert int(scalar(farm, "SELECT count(*) FROM tags")) == tags_before + 2
    assert farm.pg.query("SELECT t.tag, r.negate FROM job_tag_requirements r JOIN tags t "
                         "ON t.id = r.tag_id WHERE r.job_id = 1 ORDER BY t.tag") == \
        [("gpu", "t"), ("linux", "f")]


def test_relisting_a_required_tag_updates_negate(farm):
    farm.pg.psql("INSERT INTO job_tag_requirements (tag_id, job_id, negate) "
                 "SELECT id, 1, false FROM tags WHERE tag = 'workstation'")
    updated(farm, {"tag_requirements": [{"tag": "workstation", "negate": True}]},
            tag_requirements=[{"tag": "workstation", "negate": True}])


def test_an_empty_list_clears_the_tag_requirements(farm):
    # ours: the reference ignores it, so requirements could not be cleared
    farm.pg.psql("INSERT INTO job_tag_requirements (tag_id, job_id, negate) "
                 "SELECT id, 1, true FROM tags WHERE tag = 'workstation'")
    updated(farm, {"tag_requirements": []})
    assert farm.pg.query("SELECT 1 FROM job_tag_requirements WHERE job_id = 1") == []


def test_other_falsy_tag_requirements_are_ignored(farm):
    farm.pg.psql("INSERT INTO job_tag_requirements (tag_id, job_id, negate) "
                 "SELECT id, 1, true FROM tags WHERE tag = 'workstation'")
    for value in (None, {}, "", 0):
        updated(farm, {"tag_requirements": value},
                tag_requirements=[{"tag": "workstation", "negate": True}])


def test_malformed_tag_requirements_are_refused(farm):
    # ours: the reference crashes (500)
    message = error("every tag requirement needs a `tag` string of at most 64 characters "
                    "and `negate`")
    for entry in ({"tag": "x"}, {"negate": True}, {"tag": 5, "negate": True}, "x"):
        refused(farm, {"tag_requirements": [entry]}, 400, message)
    refused(farm, {"tag_requirements": "x"}, 400, error("tag_requirements must be a list"))


# ----------------------------------------------- §6 step 14: jobtype version

def test_jobtype_version_switches(farm):
    updated(farm, {"jobtype_version": 2}, jobtype_version=2)
    assert job_row(farm, 1, ("jobtype_version_id",)) == {"jobtype_version_id": scalar(
        farm, "SELECT id FROM jobtype_versions WHERE version = 2")}


def test_unknown_jobtype_version_is_named(farm):
    # ours: the reference names None whatever was asked for
    for version, shown in ((7, "7"), (-1, "-1"), ("2", "'2'"), (1.5, "1.5")):
        refused(farm, {"jobtype_version": version}, 400,
                error(f"Unknown jobtype version: {shown}"))


def test_falsy_jobtype_version_is_ignored(farm):
    for version in (0, None, False):
        updated(farm, {"jobtype_version": version})


# ------------------------------------------------ §6 step 15: unknown keys

def test_unknown_columns_are_a_python_dict_in_document_order(farm):
    refused(farm, '{"foo": 1, "notes": "x", "tags": ["x"]}', 400,
            error("Unknown columns: {'foo': 1, 'tags': ['x']}"))
    refused(farm, '{"z": null, "a": true, "m": {"k": "it\'s"}}', 400,
            error("Unknown columns: {'z': None, 'a': True, 'm': {'k': \"it's\"}}"))


def test_relationships_are_unknown_columns_on_update(farm):
    for key, value, shown in (("tags", ["workstation"], "['workstation']"),
                              ("notified_users", [{"username": "alice"}],
                               "[{'username': 'alice'}]"),
                              ("jobtype", "Blender", "'Blender'"),
                              ("children", [], "[]")):
        refused(farm, {key: value}, 400, error(f"Unknown columns: {{'{key}': {shown}}}"))


# ------------------------------------------------ §6: order, §0.4 atomic

def test_checks_run_in_the_reference_order(farm):
    """Each request carries every fault from one step of §6's table on: the
    earliest answers, and nothing changes."""
    steps = [
        ("tiles", 2, 400, error("Frame tiling cannot be updated after job creation.")),
        ("end", 0, 400, error("`end` must be greater than or equal to `start`")),
        ("parents", [{"id": 99}], 404, "Parent job 99 not found"),
        ("user", "nobody", 404, error("User nobody not found")),
        ("jobqueue", "nope", 404, error("Jobqueue nope not found")),
        ("time_finished", None, 400, error("`time_finished` cannot be set manually")),
        ("jobtype_version_id", 1, 400, error("`jobtype_version_id` cannot be set manually")),
        ("jobgroup", "g", 400, error("`jobgroup` cannot be set directly, use  job_group_id.")),
        ("priority", 64.7, 400, misfit("priority", "64", "<class 'int'>")),
        ("software_requirements", "blender", 400,
         requirement_error("software_requirements must be a list")),
        ("tag_requirements", [{"tag": "x"}], 400,
         error("every tag requirement needs a `tag` string of at most 64 characters and "
               "`negate`")),
        ("jobtype_version", 7, 400, error("Unknown jobtype version: 7")),
        ("foo", 1, 400, error("Unknown columns: {'foo': 1}")),
    ]
    for i, (_, _, status, answer) in enumerate(steps):
        fields = {"notes": "changed", "start": 5}
        for key, value, _, _ in reversed(steps[i:]):
            fields[key] = value
        refused(farm, fields, status, answer)


def test_a_request_failing_at_the_last_step_changes_nothing(farm):
    # ours: the reference deletes the tasks out of the new range anyway
    farm.pg.psql(f"INSERT INTO failed_tasks_in_agents (agent_id, task_id) "
                 f"SELECT '{DEMO_AGENT}', id FROM tasks WHERE job_id = 1 AND frame = 1")
    refused(farm, {"start": 5, "end": 12, "by": 2, "state": "done", "notes": "x",
                   "user": "alice", "jobqueue": "render/hi", "priority": 9,
                   "software_requirements": [{"software": "ffmpeg"}],
                   "tag_requirements": [{"tag": "new", "negate": True}],
                   "jobtype_version": 2, "foo": 1}, 400,
            error("Unknown columns: {'foo': 1}"))


def test_a_misfit_changes_no_task(farm):
    # the reference deletes frames 1-4 and answers 200 with the error
    refused(farm, {"start": 5, "priority": 64.7}, 400, misfit("priority", "64", "<class 'int'>"))
