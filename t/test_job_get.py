"""GET /api/v1/jobs/<job>: doc/api.md §5 (404, 500 without tasks, the
40-key job object, start/end from the task frames), §0.1 (<job> by id or
title: the id wins, oldest job of a title), §0.6 (rendering of NUMERIC,
timestamps, JSON columns, non-ASCII), §0.7 (job state display) and §0.8
(job object: tags, requirements, parents/children, notified users)."""

import datetime
import urllib.parse

from check import expect, expect_raw_contains

API = "/api/v1/jobs"
JSON_TYPE = "application/json"
DEMO_AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"


def sql_text(value):
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def scalar(farm, sql):
    return farm.pg.query(sql)[0][0]


def python_isoformat(pg_timestamp):
    """How the reference renders a TIMESTAMP (datetime.isoformat()): six
    fraction digits, none at all when the microseconds are 0."""
    if pg_timestamp is None:
        return None
    return datetime.datetime.fromisoformat(pg_timestamp).isoformat()


def get_job(farm, ref):
    """GET the job by id (int) or title (str, percent-encoded here)."""
    if isinstance(ref, str):
        ref = urllib.parse.quote(ref, safe="")
    return farm.client.get(f"{API}/{ref}")


def job_body(farm, ref):
    return expect(get_job(farm, ref), 200, headers={"Content-Type": JSON_TYPE}).json()


def expect_job_field(farm, ref, key, value):
    body = job_body(farm, ref)
    assert key in body, sorted(body)
    assert type(body[key]) is type(value) and body[key] == value, (key, body[key], value)


def expect_job_not_found(resp):
    return expect(resp, 404, json={"error": "Job not found"},
                  headers={"Content-Type": JSON_TYPE})


def add_job(farm, title, frames=(1,)):
    """A copy of demo job 2 with this title and one task per frame; its id."""
    values = ", ".join(f"({frame})" for frame in frames)
    rows = farm.pg.query(f"""
        WITH job AS (
            INSERT INTO jobs (title, jobtype_version_id, weight, hidden, to_be_deleted,
                              completion_notify_sent, time_submitted)
            SELECT {sql_text(title)}, jobtype_version_id, weight, hidden, to_be_deleted,
                   completion_notify_sent, time_submitted
              FROM jobs WHERE id = 2
            RETURNING id)
        INSERT INTO tasks (job_id, frame, attempts, failures, sent_to_agent)
        SELECT id, f.frame, 0, 0, false FROM job, (VALUES {values}) AS f(frame)
        RETURNING job_id""")
    return int(rows[0][0])


def set_job_column(farm, job_id, column, sql_value):
    farm.pg.psql(f"UPDATE jobs SET {column} = {sql_value} WHERE id = {job_id}")


def demo_job_1(farm):
    """The whole object of demo job 1 (spec §0.8), ids and time_submitted
    read from the database."""
    blender = int(scalar(farm, "SELECT id FROM software WHERE software = 'blender'"))
    v279 = int(scalar(farm, "SELECT id FROM software_versions WHERE version = '2.79'"))
    submitted = scalar(farm, "SELECT time_submitted FROM jobs WHERE id = 1")
    return {
        "id": 1, "title": "Demo shot 010", "state": "queued",
        "priority": 0, "weight": 10,
        "minimum_agents": None, "maximum_agents": None,
        "job_group_id": None, "jobgroup": None,
        "notes": "", "output_link": None, "num_tiles": None,
        "batch": 1, "requeue": 3, "cpus": 1, "ram": 32,
        "ram_warning": None, "ram_max": None,
        "hidden": False, "to_be_deleted": False, "completion_notify_sent": False,
        "autodelete_time": None,
        "time_submitted": python_isoformat(submitted),
        "time_started": None, "time_finished": None,
        "by": 1.0, "start": 1.0, "end": 10.0,
        "data": {"scene": "shot010.blend"}, "environ": None,
        "jobtype": "Blender", "jobtype_version": 1,
        "user": "alice", "jobqueue": "/render",
        "tags": ["workstation"],
        "software_requirements": [{
            "software_id": blender, "software": "blender",
            "min_version_id": v279, "min_version": "2.79",
            "max_version_id": None, "max_version": None}],
        "tag_requirements": [],
        "parents": [], "children": [], "notified_users": [],
    }


# ---------------------------------------------------------- the job object

def test_expected_object_has_40_keys(farm):
    # A check of the test's own dict against the spec's count (§0.8).
    assert len(demo_job_1(farm)) == 40


def test_job_by_id_is_the_whole_object(farm):
    expect(get_job(farm, 1), 200, json=demo_job_1(farm), headers={"Content-Type": JSON_TYPE})


def test_numbers_render_as_python_floats(farm):
    resp = get_job(farm, 1)
    for text in ('"by": 1.0', '"start": 1.0', '"end": 10.0', '"priority": 0',
                 '"jobtype_version": 1'):
        expect_raw_contains(resp, text)


def test_job_by_title_is_the_same_object(farm):
    expect(get_job(farm, "Demo shot 010"), 200, json=demo_job_1(farm))


def test_job_with_other_jobtype_version_and_no_owner(farm):
    body = job_body(farm, 2)
    assert (body["jobtype"], body["jobtype_version"], body["user"], body["jobqueue"],
            body["data"], body["tags"], body["software_requirements"],
            body["start"], body["end"]) == \
        ("Blender", 2, None, None, None, [], [], 1.0, 4.0), body


def test_unknown_id_is_404(farm):
    expect_job_not_found(get_job(farm, 99))


def test_unknown_title_is_404(farm):
    expect_job_not_found(get_job(farm, "No such job"))


def test_title_lookup_is_case_sensitive(farm):
    expect_job_not_found(get_job(farm, "demo shot 010"))


def test_id_beyond_64_bits_is_404(farm):
    expect_job_not_found(get_job(farm, 18446744073709551617))


def test_all_digit_title_is_unreachable(farm):
    add_job(farm, "42")
    expect_job_not_found(get_job(farm, "42"))


def test_same_title_gives_the_oldest_job(farm):
    add_job(farm, "Demo shot 010")
    set_job_column(farm, 1, "notes", "'job 1 now stored after job 3'")
    expect_job_field(farm, "Demo shot 010", "id", 1)


def test_job_without_tasks_is_500(farm):
    farm.pg.psql("DELETE FROM tasks WHERE job_id = 1")
    expect(get_job(farm, 1), 500, json={"error": "Job does not have any tasks"},
           headers={"Content-Type": JSON_TYPE})


# ----------------------------------------------------------------- rendering

def test_timestamp_without_microseconds_has_no_fraction(farm):
    set_job_column(farm, 1, "time_submitted", "'2014-03-06 15:40:58'")
    resp = get_job(farm, 1)
    expect_job_field(farm, 1, "time_submitted", "2014-03-06T15:40:58")
    expect_raw_contains(resp, '"time_submitted": "2014-03-06T15:40:58"')


def test_timestamp_fraction_has_six_digits(farm):
    set_job_column(farm, 1, "time_submitted", "'2014-03-06 15:40:58.5'")
    expect_job_field(farm, 1, "time_submitted", "2014-03-06T15:40:58.500000")


def test_time_started_and_finished_are_rendered(farm):
    set_job_column(farm, 1, "time_started", "'2014-03-06 15:41:00.000123'")
    set_job_column(farm, 1, "time_finished", "'2014-03-07 01:02:03'")
    body = job_body(farm, 1)
    assert (body["time_started"], body["time_finished"]) == \
        ("2014-03-06T15:41:00.000123", "2014-03-07T01:02:03"), body


def test_by_with_a_fraction(farm):
    set_job_column(farm, 1, "by", "2.5")
    expect_raw_contains(get_job(farm, 1), '"by": 2.5')
    expect_job_field(farm, 1, "by", 2.5)


def test_null_by_is_null(farm):
    set_job_column(farm, 1, "by", "NULL")
    expect_job_field(farm, 1, "by", None)


def test_start_and_end_are_the_extreme_task_frames(farm):
    farm.pg.psql("UPDATE tasks SET frame = 1.25 WHERE job_id = 1 AND frame = 1;"
                 "UPDATE tasks SET frame = 12.5 WHERE job_id = 1 AND frame = 5")
    resp = get_job(farm, 1)
    expect_raw_contains(resp, '"start": 1.25')
    expect_raw_contains(resp, '"end": 12.5')


def test_negative_frame(farm):
    farm.pg.psql("UPDATE tasks SET frame = -3.125 WHERE job_id = 1 AND frame = 1")
    expect_raw_contains(get_job(farm, 1), '"start": -3.125')


def test_single_task_job_starts_and_ends_on_its_frame(farm):
    job_id = add_job(farm, "one frame", frames=(7,))
    body = job_body(farm, job_id)
    assert (body["start"], body["end"]) == (7.0, 7.0), body


def test_environ_is_the_parsed_json_object(farm):
    set_job_column(farm, 1, "environ", """'{"PATH": "/usr/bin", "N": 1}'""")
    expect_job_field(farm, 1, "environ", {"PATH": "/usr/bin", "N": 1})


def test_data_numbers_render_like_python_json(farm):
    # The JSON text is parsed and re-rendered as json.loads/json.dumps would.
    stored = ('{"a": 1e-05, "b": 1e16, "c": 123456789.123456789, "d": 0.1, "e": 1E2,'
              ' "f": -0.0, "g": 1.5e300, "h": 9223372036854775807, "i": [true, null, {}]}')
    rendered = ('"data": {"a": 1e-05, "b": 1e+16, "c": 123456789.12345679, "d": 0.1,'
                ' "e": 100.0, "f": -0.0, "g": 1.5e+300, "h": 9223372036854775807,'
                ' "i": [true, null, {}]}')
    set_job_column(farm, 1, "data", sql_text(stored))
    expect_raw_contains(get_job(farm, 1), rendered)


def test_data_integers_beyond_64_bits_keep_their_digits(farm):
    # Python ints have no size limit: the reference echoes every digit.
    stored = '{"big": 100000000000000000000000, "low": -9223372036854775809}'
    set_job_column(farm, 1, "data", sql_text(stored))
    resp = get_job(farm, 1)
    expect_raw_contains(resp, '"data": ' + stored)
    expect_job_field(farm, 1, "data", {"big": 10 ** 23, "low": -2 ** 63 - 1})


def test_unicode_title_round_trips_escaped(farm):
    title = "Shot é 日本"
    job_id = add_job(farm, title)
    resp = get_job(farm, title)
    expect(resp, 200)
    assert resp.json()["id"] == job_id and resp.json()["title"] == title, resp.json()
    expect_raw_contains(resp, '"title": "Shot \\u00e9 \\u65e5\\u672c"')


def test_sql_metacharacters_in_a_title_round_trip(farm):
    title = "'; DROP TABLE jobs; --"
    job_id = add_job(farm, title)
    body = job_body(farm, title)
    assert (body["id"], body["title"]) == (job_id, title), body
    assert scalar(farm, "SELECT count(*) FROM jobs") == "3"


def test_quotes_and_backslashes_in_text_are_escaped(farm):
    notes = 'say "hi"\\ and\ttab'
    set_job_column(farm, 1, "notes", sql_text(notes))
    resp = get_job(farm, 1)
    expect_raw_contains(resp, '"notes": "say \\"hi\\"\\\\ and\\ttab"')
    expect_job_field(farm, 1, "notes", notes)


# ------------------------------------------------------------- state display

def test_queued_job_with_an_assigned_task_is_running(farm):
    farm.pg.psql(f"UPDATE tasks SET agent_id = '{DEMO_AGENT}' WHERE job_id = 1 AND frame = 2")
    expect_job_field(farm, 1, "state", "running")


def test_state_codes_are_rendered_by_name(farm):
    for code, name in ((100, "paused"), (105, "running"), (106, "done"), (107, "failed")):
        set_job_column(farm, 1, "state", str(code))
        expect_job_field(farm, 1, "state", name)


# ----------------------------------------------------------------- relations

def test_parents_and_children(farm):
    third = add_job(farm, "Demo comp")
    farm.pg.psql(f"INSERT INTO job_dependencies (parentid, childid) VALUES"
                 f" (1, {third}), (2, {third})")
    expect_job_field(farm, third, "parents",
                     [{"id": 1, "title": "Demo shot 010"}, {"id": 2, "title": "Demo shot 020"}])
    expect_job_field(farm, third, "children", [])
    expect_job_field(farm, 1, "children", [{"id": third, "title": "Demo comp"}])
    expect_job_field(farm, 1, "parents", [])


def test_notified_users(farm):
    farm.pg.psql("""
        INSERT INTO users (username, email, active) VALUES ('bob', NULL, true);
        INSERT INTO notified_users (user_id, job_id, on_success, on_failure, on_deletion)
        SELECT id, 1, true, true, false FROM users WHERE username = 'alice';
        INSERT INTO notified_users (user_id, job_id, on_success, on_failure, on_deletion)
        SELECT id, 1, false, true, true FROM users WHERE username = 'bob';""")
    alice = int(scalar(farm, "SELECT id FROM users WHERE username = 'alice'"))
    bob = int(scalar(farm, "SELECT id FROM users WHERE username = 'bob'"))
    expect_job_field(farm, 1, "notified_users", [
        {"id": alice, "username": "alice", "email": "alice@example.com",
         "on_success": True, "on_failure": True, "on_deletion": False},
        {"id": bob, "username": "bob", "email": None,
         "on_success": False, "on_failure": True, "on_deletion": True}])


def test_tag_requirements(farm):
    farm.pg.psql("""
        INSERT INTO tags (tag) VALUES ('gpu');
        INSERT INTO job_tag_requirements (tag_id, job_id, negate)
        SELECT id, 1, tag = 'workstation' FROM tags ORDER BY id;""")
    expect_job_field(farm, 1, "tag_requirements",
                     [{"tag": "workstation", "negate": True}, {"tag": "gpu", "negate": False}])


def test_software_requirement_with_max_version_and_without_min(farm):
    farm.pg.psql("""
        INSERT INTO job_software_requirements (software_id, job_id, min_version_id,
                                               max_version_id)
        SELECT s.id, 1, NULL, v.id FROM software s
          JOIN software_versions v ON v.software_id = s.id WHERE s.software = 'ffmpeg';""")
    ffmpeg = int(scalar(farm, "SELECT id FROM software WHERE software = 'ffmpeg'"))
    v41 = int(scalar(farm, "SELECT id FROM software_versions WHERE version = '4.1'"))
    body = job_body(farm, 1)
    assert body["software_requirements"][1] == {
        "software_id": ffmpeg, "software": "ffmpeg", "min_version_id": None,
        "min_version": None, "max_version_id": v41, "max_version": "4.1"}, body


def test_job_group(farm):
    farm.pg.psql("""
        INSERT INTO job_groups (title, main_jobtype_id, user_id)
        SELECT 'Sequence 1', id, NULL FROM jobtypes WHERE name = 'Blender';
        UPDATE jobs SET job_group_id = (SELECT id FROM job_groups) WHERE id = 1;""")
    group_id = int(scalar(farm, "SELECT id FROM job_groups"))
    body = job_body(farm, 1)
    assert (body["job_group_id"], body["jobgroup"]) == (group_id, "Sequence 1"), body


def test_jobqueue_path_is_computed_when_fullpath_is_null(farm):
    farm.pg.psql("UPDATE job_queues SET fullpath = NULL;"
                 "UPDATE jobs SET job_queue_id = (SELECT id FROM job_queues"
                 " WHERE name = 'hi') WHERE id = 1")
    expect_job_field(farm, 1, "jobqueue", "/render/hi")
