"""The task list's paging and filter (doc/api.md §1 "Paging", §8): ?limit=
and ?offset= as every paged list takes them, the keyset cursor
?after=<frame>,<id>, ?state= (repeatable; §0.7's codes, queued = NULL,
assigned tasks included), the Link header (RFC 8288) to the next page, and
the 400s of bad values (src/core/list_page.c's wording).  Without
parameters the list is the reference's: every task, no Link.

Expected lists are computed here from the rows in the database (sorted by
(frame, id) in Python) or from the seeded data; Link values are built here
from the expected last task of each page.  The module is ours throughout:
the reference's list takes no parameters.

A deep page of a 100,000-task job is checked for its exact tasks, and, in
a database of its own with auto_explain, for reading only about a page of
rows: no timing is asserted.
"""

import re
import urllib.parse
from decimal import Decimal

from check import db_time, expect
from farm import Client, sql_path

API = "/api/v1/jobs"
JSON_TYPE = "application/json"
AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"    # render01 of sql/demo.sql
PAUSED, RUNNING, DONE, FAILED = 100, 105, 106, 107  # §0.7
STATE_NAMES = {PAUSED: "paused", RUNNING: "running", DONE: "done", FAILED: "failed"}
MAX_LIMIT = 1000  # PyFarmJobsMaxListLimit's default (the test server sets none)

BAD_LIMIT = "limit must be a non-negative integer"
BAD_OFFSET = "offset must be a non-negative integer"
BAD_AFTER = "after must be <frame>,<id> (a decimal and a non-negative integer)"
BAD_STATE = "state must be one of queued, paused, running, done, failed"

TASK_COLUMNS = ("id", "state", "priority", "time_submitted", "time_started",
                "time_finished", "agent_id", "job_id", "hidden", "attempts",
                "failures", "frame", "tile", "last_error", "sent_to_agent", "progress")

# The tiled job of these tests: 20 frames from -1 by 0.25 (negative,
# fractional, 0), three tiles each, inserted in a scrambled order so that
# ids do not follow frames; the task of position g gets state
# TILED_STATES[g % 5], g % 7 == 3 also an agent (a queued one is assigned).
TILED_SQL = ("SELECT -1 + (g / 3) * 0.25, g % 3, (g * 37) % 60"
             "  FROM generate_series(0, 59) g")
TILED_COUNT = 60
TILED_STATES = ("NULL", str(DONE), str(FAILED), str(RUNNING), str(PAUSED))


# ------------------------------------------------------ database helpers


def tiled_job(farm):
    """The tiled job (see TILED_SQL), its tasks in their states; its id."""
    job = farm.add_job("Tiled job", TILED_SQL)
    cases = " ".join(f"WHEN {g} THEN {state}" for g, state in enumerate(TILED_STATES))
    farm.pg.psql(f"""
        WITH numbered AS (
            SELECT id, row_number() OVER (ORDER BY frame, tile) - 1 AS g
              FROM tasks WHERE job_id = {job})
        UPDATE tasks t SET state = CASE n.g % 5 {cases} END,
                           agent_id = CASE WHEN n.g % 7 = 3 THEN '{AGENT}'::uuid END
          FROM numbered n WHERE t.id = n.id""")
    return job


def render(row):
    """A tasks row (TASK_COLUMNS, PostgreSQL text) as the basic task object
    (§0.8, §0.7 task rule); the frame is kept as a Decimal under "_frame"
    for sorting and cursors."""
    v = dict(zip(TASK_COLUMNS, row))
    state = v["state"]
    return {
        "id": int(v["id"]), "priority": int(v["priority"]),
        "time_submitted": db_time(v["time_submitted"]),
        "time_started": db_time(v["time_started"]),
        "time_finished": db_time(v["time_finished"]),
        "agent_id": v["agent_id"], "job_id": int(v["job_id"]),
        "hidden": v["hidden"] == "t", "attempts": int(v["attempts"]),
        "failures": int(v["failures"]), "frame": float(v["frame"]),
        "tile": None if v["tile"] is None else int(v["tile"]), "last_error": v["last_error"],
        "sent_to_agent": v["sent_to_agent"] == "t", "progress": float(v["progress"]),
        "state": (("assigned" if v["agent_id"] else "queued") if state is None
                  else STATE_NAMES[int(state)]),
        "_frame": Decimal(v["frame"]),
    }


def stored(farm, job, where="true"):
    """The job's tasks matching the SQL condition `where`, sorted here by
    (frame, id), each with its "_frame" (see render)."""
    result = farm.pg.query(f"SELECT {', '.join(TASK_COLUMNS)} FROM tasks"
                           f" WHERE job_id = {job} AND ({where})")
    return sorted((render(row) for row in result), key=lambda t: (t["_frame"], t["id"]))


def shown(tasks):
    """The objects as the list shows them (without "_frame")."""
    return [{k: v for k, v in t.items() if k != "_frame"} for t in tasks]


def in_states(tasks, *names):
    """The tasks ?state= names select: queued takes the assigned ones too."""
    return [t for t in tasks
            if ("queued" if t["state"] == "assigned" else t["state"]) in names]


# ------------------------------------------------------- request helpers

def list_path(job):
    return f"{API}/{job}/tasks/"


def get(farm, job, query=""):
    return farm.client.get(list_path(job) + (f"?{query}" if query else ""))


def cursor(task):
    """The ?after= value of a page that ends at `task`: the frame as a
    plain decimal without trailing fraction zeros, a comma, the id."""
    return f"{format(task['_frame'].normalize(), 'f')},{task['id']}"


def link(path, query):
    return f'<{path}?{query}>; rel="next"'


def expect_page(resp, tasks, next_query=None, path=None):
    """200 with exactly `tasks`, and a Link to ?`next_query` (of the same
    path) or, when None, no Link."""
    path = path or resp.path.split("?")[0]
    want_link = None if next_query is None else link(path, next_query)
    return expect(resp, 200, json=shown(tasks),
                  headers={"Content-Type": JSON_TYPE, "Link": want_link})


def expect_error(resp, message):
    return expect(resp, 400, json={"error": message}, headers={"Content-Type": JSON_TYPE,
                                                               "Link": None})


def follow(farm, first_path):
    """GET `first_path`, then each Link's target while there is one; the
    responses.  A Link is a path-absolute URI reference (RFC 8288)."""
    responses, path = [], first_path
    while True:
        resp = farm.client.get(path)
        assert resp.status == 200, (path, resp.status, resp.text)
        responses.append(resp)
        value = resp.headers.get("Link")
        if value is None:
            break
        match = re.fullmatch(r'<(/[^>]*)>; rel="next"', value)
        assert match, f"{path}: Link {value!r}"
        path = match.group(1)
        assert len(responses) <= TILED_COUNT + 1, "the Links do not end"
    return responses


def expect_chain(farm, job, tasks, limit, params=""):
    """Following the Links from ?{params}&limit= gives `tasks` page by page,
    each page exactly the next `limit` tasks, each Link the exact cursor of
    its page's last task; the last page has none."""
    query = f"{params}&limit={limit}" if params else f"limit={limit}"
    responses = follow(farm, f"{list_path(job)}?{query}")
    pages = [tasks[i:i + limit] for i in range(0, len(tasks), limit)] or [[]]
    assert len(responses) == len(pages), \
        f"?{query}: {len(responses)} pages, expected {len(pages)}"
    for number, (resp, page) in enumerate(zip(responses, pages)):
        last = number == len(pages) - 1
        expect_page(resp, page, None if last else f"{query}&after={cursor(page[-1])}")


# ============================================ the list without parameters

def test_without_parameters_every_task_in_frame_and_id_order(farm):
    job = tiled_job(farm)
    tasks = stored(farm, job)
    assert len(tasks) == TILED_COUNT
    expect_page(get(farm, job), tasks)
    expect_page(get(farm, job, "x=1&limits=2"), tasks)  # unknown keys are ignored


def test_seeded_job_without_parameters_has_no_link(farm):
    # sql/demo.sql: job 1 is tasks 1..10, frames 1..10; job 2 tasks 11..14
    for job, ids in ((1, range(1, 11)), ("Demo%20shot%20020", range(11, 15))):
        resp = expect(get(farm, job), 200, headers={"Link": None})
        assert [(t["id"], t["frame"]) for t in resp.json()] == \
            [(i, float(i if i <= 10 else i - 10)) for i in ids], resp.text


# =========================================================== limit, offset

def test_limit_alone(farm):
    job = tiled_job(farm)
    tasks = stored(farm, job)
    expect_page(get(farm, job, "limit=7"), tasks[:7], f"limit=7&after={cursor(tasks[6])}")
    expect_page(get(farm, job, "limit=1"), tasks[:1], f"limit=1&after={cursor(tasks[0])}")
    expect_page(get(farm, job, "limit=0"), [])              # an empty page: no next
    expect_page(get(farm, job, "limit=59"), tasks[:59], f"limit=59&after={cursor(tasks[58])}")
    expect_page(get(farm, job, "limit=60"), tasks)          # reaches the end exactly
    expect_page(get(farm, job, "limit=61"), tasks)
    expect_page(get(farm, job, "limit=0007"), tasks[:7], f"limit=0007&after={cursor(tasks[6])}")


def test_offset_alone_lists_the_rest_without_link(farm):
    job = tiled_job(farm)
    tasks = stored(farm, job)
    expect_page(get(farm, job, "offset=0"), tasks)
    expect_page(get(farm, job, "offset=55"), tasks[55:])
    expect_page(get(farm, job, "offset=60"), [])
    expect_page(get(farm, job, "offset=9223372036854775807"), [])


def test_limit_and_offset(farm):
    job = tiled_job(farm)
    tasks = stored(farm, job)
    # the next page's Link continues after the page's last task: the offset
    # is not carried on, wherever it stood in the query
    expect_page(get(farm, job, "limit=7&offset=50"), tasks[50:57],
                f"limit=7&after={cursor(tasks[56])}")
    expect_page(get(farm, job, "offset=10&limit=4"), tasks[10:14],
                f"limit=4&after={cursor(tasks[13])}")
    expect_page(get(farm, job, "limit=10&offset=50"), tasks[50:])
    expect_page(get(farm, job, "limit=5&offset=58"), tasks[58:])
    expect_page(get(farm, job, "limit=5&offset=60"), [])
    expect_page(get(farm, job, "limit=0&offset=3"), [])


def test_bad_values_are_refused_before_the_job_is_looked_up(farm):
    job = tiled_job(farm)
    bad_counts = ("", "-1", "+1", "1.0", "1e3", "x", "0x10", "%201",
                  "9223372036854775808", "99999999999999999999")
    bad_cursors = ("", "1", "1,", ",1", "a,1", "1,a", "1,-1", "1,+1", "1,1.0", ".5,1",
                   "1.,1", "-,1", "--1,1", "1e3,1", "0x10,1", "%201,1", "1,2,3", "1;2",
                   "1,9223372036854775808", "1" * 65 + ",1", "-" + "1" * 64 + ",1")
    bad_states = ("", "assigned", "Queued", "DONE", "done%20", "finished", "100", "done,failed")
    for ref in (job, 99999, "No%20such%20job"):
        for value in bad_counts:
            expect_error(get(farm, ref, f"limit={value}"), BAD_LIMIT)
            expect_error(get(farm, ref, f"offset={value}"), BAD_OFFSET)
        for value in bad_cursors:
            expect_error(get(farm, ref, f"after={value}"), BAD_AFTER)
            expect_error(get(farm, ref, f"after={value}&limit=2"), BAD_AFTER)
        for value in bad_states:
            expect_error(get(farm, ref, f"state={value}"), BAD_STATE)
        expect_error(get(farm, ref, "state=done&state=bogus&state=failed"), BAD_STATE)
    # a key without a value is empty; the first value of limit, offset and
    # after counts
    expect_error(get(farm, job, "limit"), BAD_LIMIT)
    expect_error(get(farm, job, "limit=x&limit=3"), BAD_LIMIT)
    expect_page(get(farm, job, "offset=58&offset=x"), stored(farm, job)[58:])
    # checked in this order: limit, offset, after, state
    expect_error(get(farm, job, "state=x&after=x&offset=x&limit=x"), BAD_LIMIT)
    expect_error(get(farm, job, "state=x&after=x&offset=x&limit=1"), BAD_OFFSET)
    expect_error(get(farm, job, "state=x&after=x&offset=1&limit=1"), BAD_AFTER)
    expect_error(get(farm, job, "state=x&after=1,1&offset=1&limit=1"), BAD_STATE)
    # good values, unknown job: the job's 404
    expect(get(farm, 99999, "limit=2&offset=1&after=1,1&state=done"), 404,
           json={"error": "Job not found", "id": 99999}, headers={"Link": None})


# =================================================================== after

def test_pages_chained_by_link_give_the_whole_list(farm):
    job = tiled_job(farm)
    tasks = stored(farm, job)
    # 7 and 4 cut through the three tiles of a frame; 6 ends pages at frame
    # boundaries and the last page exactly at the end
    for limit in (1, 4, 6, 7, 59, 60, 1000):
        expect_chain(farm, job, tasks, limit)


def test_after_starts_after_the_given_frame_and_id(farm):
    job = tiled_job(farm)
    tasks = stored(farm, job)
    middle = tasks[31]   # the second tile of its frame, by id
    assert tasks[30]["_frame"] == middle["_frame"] == tasks[32]["_frame"]
    frame = cursor(middle).split(",")[0]
    cases = {
        cursor(middle): tasks[32:],
        f"{frame},0": tasks[30:],                        # before the frame's first id
        f"{frame},9223372036854775807": tasks[33:],      # after its last one
        "-0.8,0": tasks[3:],                             # between two frames
        "-0.80000,99": tasks[3:],
        "-1,0": tasks,
        "-1000000,0": tasks,
        "-99999999999999999999.99999999,0": tasks,       # beyond NUMERIC(10,4)
        "-" + "9" * 63 + ",0": tasks,                     # 64 characters
        "0,0": [t for t in tasks if t["_frame"] >= 0],
        "000.2500,0": [t for t in tasks if t["_frame"] >= Decimal("0.25")],
        "0.24999,0": [t for t in tasks if t["_frame"] >= Decimal("0.25")],
        "0.25000001,0": [t for t in tasks if t["_frame"] > Decimal("0.25")],
        cursor(tasks[-1]): [],
        "3.75,0": tasks[57:],
        "999999.9999,0": [],
        "9" * 64 + ",0": [],
    }
    for after, want in cases.items():
        # without limit: the rest of the list, no Link
        expect_page(get(farm, job, f"after={after}"), want)
        expect_page(get(farm, job, f"after={urllib.parse.quote(after, safe='')}"), want)
        next_query = f"limit=3&after={cursor(want[2])}" if len(want) > 3 else None
        expect_page(get(farm, job, f"after={after}&limit=3"), want[:3], next_query)


def test_after_with_offset_skips_after_the_cursor(farm):
    job = tiled_job(farm)
    tasks = stored(farm, job)
    after = cursor(tasks[9])
    expect_page(get(farm, job, f"after={after}&offset=2&limit=3"), tasks[12:15],
                f"limit=3&after={cursor(tasks[14])}")
    expect_page(get(farm, job, f"offset=2&after={after}"), tasks[12:])
    expect_page(get(farm, job, f"after={after}&offset=48&limit=3"), tasks[58:])


def test_link_keeps_the_path_and_the_other_parameters(farm):
    tasks = stored(farm, 1)
    paths = (list_path(1), list_path("0001"), list_path("Demo%20shot%20010"),
             "/farm/api/v1/jobs/1/tasks/")  # the API mounted again (t/run.py)
    for path in paths:
        resp = farm.client.get(f"{path}?x=%22a%20b%22&limit=2&y=&state=queued&offset=1")
        expect_page(resp, tasks[1:3], f"x=%22a%20b%22&limit=2&y=&state=queued&after=3,3",
                    path=path)
    # the keys are read (and replaced) case-insensitively, as every query key
    resp = farm.client.get(f"{list_path(1)}?LIMIT=2&Offset=4&After=1,1")
    expect_page(resp, tasks[5:7], "LIMIT=2&after=7,7")
    resp = farm.client.get(f"{list_path(1)}?limit=2&off%73et=2&%61fter=1,1")
    expect_page(resp, tasks[3:5], "limit=2&after=5,5")
    # characters a URI cannot carry as they are get percent-encoded
    resp = farm.client.get(f'{list_path(1)}?q="<x>"&limit=2')
    expect_page(resp, tasks[:2], "q=%22%3Cx%3E%22&limit=2&after=2,2")


# =================================================================== state

def test_each_state_alone(farm):
    cases = {1: (None, None), 2: (None, AGENT), 3: (PAUSED, None), 4: (RUNNING, AGENT),
             5: (DONE, AGENT), 6: (FAILED, None), 7: (DONE, None), 8: (None, None),
             9: (RUNNING, AGENT), 10: (FAILED, AGENT)}
    for task, (state, agent) in cases.items():
        farm.pg.psql(f"UPDATE tasks SET state = {'NULL' if state is None else state},"
                     f" agent_id = {'NULL' if agent is None else repr(agent)}"
                     f" WHERE id = {task}")
    tasks = stored(farm, 1)
    # queued (stored NULL) takes the tasks shown "assigned" too
    want_ids = {"queued": [1, 2, 8], "paused": [3], "running": [4, 9], "done": [5, 7],
                "failed": [6, 10]}
    for name, ids in want_ids.items():
        want = [t for t in tasks if t["id"] in ids]
        assert want == in_states(tasks, name)
        expect_page(get(farm, 1, f"state={name}"), want)
    expect_page(get(farm, 2, "state=done"), [])   # the other job's tasks: none done


def test_repeated_states_merge_in_frame_and_id_order(farm):
    job = tiled_job(farm)
    tasks = stored(farm, job)
    for names in (("done", "failed"), ("failed", "done"), ("queued", "paused", "running"),
                  ("done", "done"), ("queued", "paused", "running", "done", "failed")):
        query = "&".join(f"state={n}" for n in names)
        want = in_states(tasks, *names)
        assert want, names
        expect_page(get(farm, job, query), want)
    every = "state=running&state=failed&state=queued&state=done&state=paused"
    expect_page(get(farm, job, every), tasks)


def test_state_with_limit_offset_and_after(farm):
    job = tiled_job(farm)
    tasks = stored(farm, job)
    assert {t["state"] for t in tasks} == {"queued", "assigned", "paused", "running",
                                           "done", "failed"}
    for names in (("queued",), ("done",), ("running", "queued"),
                  ("failed", "paused", "done")):
        params = "&".join(f"state={n}" for n in names)
        want = in_states(tasks, *names)
        for limit in (1, 5, len(want)):
            expect_chain(farm, job, want, limit, params)
        expect_page(get(farm, job, f"{params}&offset=2&limit=3"), want[2:5],
                    f"{params}&limit=3&after={cursor(want[4])}")
        after = cursor(tasks[20])
        rest = [t for t in want if (t["_frame"], t["id"]) > (tasks[20]["_frame"],
                                                             tasks[20]["id"])]
        expect_page(get(farm, job, f"{params}&after={after}"), rest)
        expect_page(get(farm, job, f"{params}&after={after}&offset=1&limit=2"), rest[1:3],
                    f"{params}&limit=2&after={cursor(rest[2])}")


# ========================================================= a deep listing

def big_job(farm, client=None):
    """A job of frames 1..100000 submitted through the API (§3, §9.1);
    its id."""
    resp = expect((client or farm.client).post(
        API + "/", json={"title": "Deep job", "jobtype": "Blender", "start": 1,
                         "end": 100000}), 201)
    return resp.json()["id"]


def test_deep_pages_of_a_100000_task_job(farm):
    job = big_job(farm)
    farm.pg.psql(f"UPDATE tasks SET state = {DONE} WHERE job_id = {job} AND frame % 1000 = 0;"
                 f"UPDATE tasks SET state = {FAILED} WHERE job_id = {job} AND frame = 99999")

    def frames(first, last):
        tasks = stored(farm, job, f"frame BETWEEN {first} AND {last}")
        assert [t["_frame"] for t in tasks] == list(range(first, last + 1))
        return tasks

    # one task a frame: the cursor of frame f is (f, its id)
    start = frames(99850, 99850)[0]
    page = frames(99851, 99950)
    expect_page(get(farm, job, f"limit=100&after={cursor(start)}"), page,
                f"limit=100&after={cursor(page[-1])}")
    assert cursor(page[-1]) == f"99950,{page[-1]['id']}"
    expect_page(get(farm, job, f"limit=100&after={cursor(page[-1])}"),
                frames(99951, 100000))                     # the last page: no Link
    # a limit above PyFarmJobsMaxListLimit is cut down to it
    first = frames(1, MAX_LIMIT)
    for limit in (MAX_LIMIT + 1, 5000, "9223372036854775807"):
        expect_page(get(farm, job, f"limit={limit}"), first,
                    f"limit={limit}&after={cursor(first[-1])}")
    # a state deep down, and its last page
    deep = stored(farm, job, f"state IN ({DONE}, {FAILED}) AND frame > 50000")
    assert [t["_frame"] for t in deep] == [*range(51000, 100000, 1000), 99999, 100000]
    query = f"state=failed&state=done&limit=100&after={cursor(frames(50000, 50000)[0])}"
    expect_page(get(farm, job, query), deep)
    # without limit, the rest streams (read 1,000 tasks at a time)
    rest = stored(farm, job, "frame > 97000")
    expect_page(get(farm, job, f"after={cursor(frames(97000, 97000)[0])}&offset=1500"),
                rest[1500:])
    expect_page(get(farm, job, f"state=queued&after={cursor(frames(97000, 97000)[0])}"),
                in_states(rest, "queued"))
    finished = stored(farm, job, f"state IN ({DONE}, {FAILED})")
    assert len(finished) == 101
    expect_page(get(farm, job, "state=done&state=failed&offset=40"), finished[40:])
    # the last queued task is 99998 (99999 failed, 100000 done)
    queued = frames(99994, 99998)
    expect_page(get(farm, job, f"state=queued&limit=3&after={cursor(queued[0])}"),
                queued[1:4], f"state=queued&limit=3&after={cursor(queued[3])}")
    expect_page(get(farm, job, f"state=queued&limit=3&after={cursor(queued[3])}"),
                queued[4:])


# The plans of the module's statements, with the rows each node returned
# and removed, in a database of their own: auto_explain logs them.
PAGES_DB = "pyfarm_pages"
AUTO_EXPLAIN = f"""\
ALTER DATABASE {PAGES_DB} SET session_preload_libraries = 'auto_explain';
ALTER DATABASE {PAGES_DB} SET auto_explain.log_min_duration = 0;
ALTER DATABASE {PAGES_DB} SET auto_explain.log_analyze = on;
ALTER DATABASE {PAGES_DB} SET auto_explain.log_timing = off;
"""
PLAN_LABEL = re.compile(r"Query Text: PREPARE (pfj_\w+)")
ROW_COUNTS = re.compile(r"\bactual rows=(\d+)|Rows Removed by [\w ]+: (\d+)")


def plans_of(pg, since, label):
    """The row counts (returned, removed) of every node of each plan of
    the statement `label` logged since the mark `since`."""
    found = []
    for entry in pg.log_entries(since):
        match = PLAN_LABEL.search(entry)
        if "plan:" in entry and match and match.group(1) == label:
            found.append([int(a or b) for a, b in ROW_COUNTS.findall(entry)])
    return found


def test_deep_pages_read_about_a_page_of_rows(farm):
    # Each node of a page's plan handles at most the page and a few rows
    # more (the next page's probe, the other tiles of a frame), however
    # deep the page: an ordered index scan from the cursor on, also for a
    # job submitted after PostgreSQL's last ANALYZE, of which its
    # statistics know nothing (the job looks empty).
    pg = farm.pg
    pg.create_database(PAGES_DB)
    httpd = None
    try:
        for name in ("schema.sql", "indexes.sql", "demo.sql"):
            pg.load_file(sql_path(name), dbname=PAGES_DB)
        pg.psql(AUTO_EXPLAIN, dbname="postgres")
        pg.psql("ANALYZE tasks", dbname=PAGES_DB)
        httpd = farm.other_httpd("httpd-pages", dbname=PAGES_DB)
        httpd.start()
        client = Client(httpd.port)
        job = big_job(farm, client)
        ids = dict(pg.query(f"SELECT frame::int, id FROM tasks WHERE job_id = {job}"
                            " AND frame IN (10, 50000, 99900)", dbname=PAGES_DB))
        mark = pg.log_size()
        for frame in (10, 50000, 99900):
            for states in ("", "state=queued&state=done&"):
                resp = client.get(f"{list_path(job)}?{states}limit=100"
                                  f"&after={frame},{ids[str(frame)]}")
                expect(resp, 200)
                assert [t["frame"] for t in resp.json()] == \
                    [float(f) for f in range(frame + 1, frame + 101)], resp.text[:300]
        client.close()
        for label in ("pfj_tasks_page", "pfj_tasks_state_page"):
            plans = plans_of(pg, mark, label)
            assert len(plans) == 3 and all(plans), (label, plans)
            assert max(max(counts) for counts in plans) <= 110, (label, plans)
    finally:
        if httpd:
            httpd.stop()
        pg.drop_database(PAGES_DB)
