"""GET /api/v1/jobs/ (the jobs index): doc/api.md §2 (filters jobtype, user,
jobqueue, title; their 404s and check order; hidden and to-be-deleted jobs
listed; [REC] order by id) and §0.7 (the index's state display: "assigned"
for a queued job with an assigned task, DB codes 100/105/106/107), with
§9.6 (queue paths computed when fullpath is NULL).

Deliberate differences from the reference: `%` and `_` in the title filter
are taken literally (the reference's ILIKE treats them as wildcards), and a
jobqueue value also finds a queue whose fullpath column is still NULL by its
computed path (the reference compares the cached fullpath column only);
?limit= and ?offset= page the index, with a Link header to the next page
(§1; the 400s of bad values)."""

import urllib.parse

from check import expect

INDEX = "/api/v1/jobs/"
JSON_TYPE = "application/json"
DEMO_AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"
JOB_1 = (1, "Demo shot 010")
JOB_2 = (2, "Demo shot 020")


def sql_text(value):
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def query_string(*pairs):
    return "?" + urllib.parse.urlencode(pairs)


def get_index(farm, *pairs):
    return farm.client.get(INDEX + (query_string(*pairs) if pairs else ""))


def expect_jobs(resp, *jobs, state="queued"):
    """200 and exactly these (id, title) or (id, title, state) jobs, in order."""
    want = [{"id": job[0], "title": job[1], "state": job[2] if len(job) > 2 else state}
            for job in jobs]
    return expect(resp, 200, json=want, headers={"Content-Type": JSON_TYPE})


def expect_404(resp, message):
    return expect(resp, 404, json={"error": message}, headers={"Content-Type": JSON_TYPE})


def add_job(farm, title, queue_id="NULL", user_id="NULL"):
    """A copy of demo job 2 (jobtype Blender, one task) with this title,
    queue and user (SQL expressions); returns its (id, title)."""
    rows = farm.pg.query(f"""
        WITH job AS (
            INSERT INTO jobs (title, jobtype_version_id, job_queue_id, user_id, weight,
                              hidden, to_be_deleted, completion_notify_sent,
                              time_submitted)
            SELECT {sql_text(title)}, jobtype_version_id, {queue_id}, {user_id}, weight,
                   hidden, to_be_deleted, completion_notify_sent, time_submitted
              FROM jobs WHERE id = 2
            RETURNING id)
        INSERT INTO tasks (job_id, frame, attempts, failures, sent_to_agent)
        SELECT id, 1, 0, 0, false FROM job RETURNING job_id""")
    return int(rows[0][0]), title


def add_queue(farm, name, parent_id="NULL"):
    """A queue whose fullpath is NULL (not cached yet); returns its id."""
    rows = farm.pg.query(f"""
        INSERT INTO job_queues (parent_jobqueue_id, name, priority, weight, fullpath)
        VALUES ({parent_id}, {sql_text(name)}, 0, 10, NULL) RETURNING id""")
    return rows[0][0]


def queue_id(fullpath):
    return f"(SELECT id FROM job_queues WHERE fullpath = {sql_text(fullpath)})"


def set_job_column(farm, job_id, column, sql_value):
    farm.pg.psql(f"UPDATE jobs SET {column} = {sql_value} WHERE id = {job_id}")


# ------------------------------------------------------------- no filters

def test_lists_the_demo_jobs_ordered_by_id(farm):
    expect_jobs(get_index(farm), JOB_1, JOB_2)


def test_order_is_by_id_not_by_storage(farm):
    set_job_column(farm, 1, "notes", "'moved to the end of the heap'")
    expect_jobs(get_index(farm), JOB_1, JOB_2)


def test_unknown_parameters_are_ignored(farm):
    expect_jobs(get_index(farm, ("state", "done"), ("hidden", "true")), JOB_1, JOB_2)


def test_empty_database_lists_nothing(farm):
    farm.pg.psql("DELETE FROM tasks; DELETE FROM job_tag_associations;"
                 "DELETE FROM job_software_requirements; DELETE FROM jobs;")
    expect(get_index(farm), 200, json=[], body="[]")


def test_hidden_and_to_be_deleted_jobs_are_listed(farm):
    set_job_column(farm, 1, "hidden", "true")
    set_job_column(farm, 2, "to_be_deleted", "true")
    expect_jobs(get_index(farm), JOB_1, JOB_2)


# ----------------------------------------------------------------- jobtype

def test_jobtype_filter_matches_every_version(farm):
    expect_jobs(get_index(farm, ("jobtype", "Blender")), JOB_1, JOB_2)


def test_jobtype_filter_is_exact(farm):
    expect_404(get_index(farm, ("jobtype", "blender")), "Jobtype blender not found")


def test_unknown_jobtype_is_404(farm):
    expect_404(get_index(farm, ("jobtype", "Maya")), "Jobtype Maya not found")


def test_empty_jobtype_is_404(farm):
    expect_404(farm.client.get(INDEX + "?jobtype="), "Jobtype  not found")


def test_jobtype_without_jobs_lists_nothing(farm):
    farm.pg.psql("INSERT INTO jobtypes (name) VALUES ('Nuke')")
    expect(get_index(farm, ("jobtype", "Nuke")), 200, json=[])


# -------------------------------------------------------------------- user

def test_user_filter(farm):
    expect_jobs(get_index(farm, ("user", "alice")), JOB_1)


def test_unknown_user_is_404(farm):
    expect_404(get_index(farm, ("user", "bob")), "User bob not found")


def test_user_without_jobs_lists_nothing(farm):
    farm.pg.psql("INSERT INTO users (username, email, active) VALUES ('bob', NULL, true)")
    expect(get_index(farm, ("user", "bob")), 200, json=[])


# ---------------------------------------------------------------- jobqueue

def test_jobqueue_filter(farm):
    expect_jobs(get_index(farm, ("jobqueue", "/render")), JOB_1)


def test_jobqueue_filter_does_not_include_subqueues(farm):
    job = add_job(farm, "hi job", queue_id=queue_id("/render/hi"))
    expect_jobs(get_index(farm, ("jobqueue", "/render")), JOB_1)
    expect_jobs(get_index(farm, ("jobqueue", "/render/hi")), job)


def test_jobqueue_filter_accepts_repeated_values(farm):
    job = add_job(farm, "hi job", queue_id=queue_id("/render/hi"))
    expect_jobs(get_index(farm, ("jobqueue", "/render"), ("jobqueue", "/render/hi")),
                JOB_1, job)


def test_jobqueue_needs_the_leading_slash(farm):
    expect_404(get_index(farm, ("jobqueue", "render")), "Jobqueue render not found")


def test_first_unknown_jobqueue_is_404(farm):
    resp = get_index(farm, ("jobqueue", "/render"), ("jobqueue", "/nope"),
                     ("jobqueue", "/other"))
    expect_404(resp, "Jobqueue /nope not found")


def test_jobqueue_with_null_fullpath_is_found_by_its_path(farm):
    top = add_queue(farm, "comp")
    job = add_job(farm, "comp job", queue_id=top)
    expect_jobs(get_index(farm, ("jobqueue", "/comp")), job)


def test_subqueue_with_null_fullpath_is_found_by_its_path(farm):
    low = add_queue(farm, "lo", parent_id=queue_id("/render"))
    job = add_job(farm, "lo job", queue_id=low)
    expect_jobs(get_index(farm, ("jobqueue", "/render/lo")), job)


# ------------------------------------------------------------------- title

def test_title_filter_is_a_case_insensitive_substring(farm):
    expect_jobs(get_index(farm, ("title", "SHOT 01")), JOB_1)
    expect_jobs(get_index(farm, ("title", "demo")), JOB_1, JOB_2)


def test_title_filter_decodes_plus_as_space(farm):
    expect_jobs(farm.client.get(INDEX + "?title=shot+020"), JOB_2)


def test_empty_title_is_no_filter(farm):
    expect_jobs(farm.client.get(INDEX + "?title="), JOB_1, JOB_2)


def test_title_without_match_lists_nothing(farm):
    expect(get_index(farm, ("title", "nothing like it")), 200, json=[], body="[]")


def test_title_percent_is_literal(farm):
    # Documented difference: the reference's ILIKE would match every title.
    expect(get_index(farm, ("title", "%")), 200, json=[])
    job = add_job(farm, "100% done")
    expect_jobs(get_index(farm, ("title", "%")), job)


def test_title_underscore_is_literal(farm):
    # Documented difference: the reference's "_" matches any one character.
    expect(get_index(farm, ("title", "Demo_shot")), 200, json=[])
    job = add_job(farm, "Demo_shot 030")
    expect_jobs(get_index(farm, ("title", "demo_")), job)


def test_title_with_non_ascii_letters(farm):
    job = add_job(farm, "Shot é 日本")
    expect_jobs(get_index(farm, ("title", "é 日")), job)


# --------------------------------------------------- combination and order

def test_filters_combine_with_and(farm):
    add_job(farm, "Demo shot 030", user_id="(SELECT id FROM users WHERE username = 'alice')")
    resp = get_index(farm, ("jobtype", "Blender"), ("user", "alice"),
                     ("jobqueue", "/render"), ("title", "shot"))
    expect_jobs(resp, JOB_1)


def test_jobtype_is_checked_before_user(farm):
    expect_404(get_index(farm, ("user", "bob"), ("jobtype", "Maya")),
               "Jobtype Maya not found")


def test_user_is_checked_before_jobqueue(farm):
    expect_404(get_index(farm, ("jobqueue", "/nope"), ("user", "bob")), "User bob not found")


def test_first_value_of_a_repeated_filter_is_used(farm):
    expect_jobs(get_index(farm, ("user", "alice"), ("user", "bob")), JOB_1)


def test_undecodable_filter_value_is_not_dropped(farm):
    # Werkzeug decodes query values with errors="replace": %FF is U+FFFD, a
    # user that does not exist; the filter must not vanish.
    expect_404(farm.client.get(INDEX + "?user=%FF"), "User \ufffd not found")


# ------------------------------------------------------------ state display

def test_queued_job_with_an_assigned_task_shows_assigned(farm):
    farm.pg.psql(f"UPDATE tasks SET agent_id = '{DEMO_AGENT}' WHERE job_id = 1 AND frame = 3")
    expect_jobs(get_index(farm), (*JOB_1, "assigned"), (*JOB_2, "queued"))


def test_assigned_counts_tasks_in_any_state(farm):
    farm.pg.psql(f"UPDATE tasks SET agent_id = '{DEMO_AGENT}', state = 106"
                 f" WHERE job_id = 2 AND frame = 4")
    expect_jobs(get_index(farm), JOB_1, (*JOB_2, "assigned"))


def test_assigned_task_of_a_done_job_keeps_done(farm):
    farm.pg.psql(f"UPDATE tasks SET agent_id = '{DEMO_AGENT}' WHERE job_id = 1")
    set_job_column(farm, 1, "state", "106")
    expect_jobs(get_index(farm), (*JOB_1, "done"), JOB_2)


def test_state_codes_are_rendered_by_name(farm):
    for code, name in ((105, "running"), (106, "done"), (107, "failed"), (100, "paused")):
        set_job_column(farm, 2, "state", str(code))
        expect_jobs(get_index(farm), JOB_1, (*JOB_2, name))



# ------------------------------------------------------ paging (ours, §1)

BAD_LIMIT = "limit must be a non-negative integer"
BAD_OFFSET = "offset must be a non-negative integer"


def add_jobs(farm, count):
    """`count` jobs "Job <n>" without tasks, made in one statement; their
    (id, title) in id order."""
    rows = farm.pg.query(f"""
        INSERT INTO jobs (title, jobtype_version_id, weight, hidden, to_be_deleted,
                          completion_notify_sent, time_submitted)
        SELECT 'Job ' || g, jobtype_version_id, weight, hidden, to_be_deleted,
               completion_notify_sent, time_submitted
          FROM jobs, generate_series(1, {count}) g WHERE id = 2
         ORDER BY g RETURNING id, title""")
    return sorted((int(i), title) for i, title in rows)


def expect_page(resp, jobs, next_query=None, path=INDEX):
    """200 with exactly these (id, title) queued jobs and a Link to
    ?`next_query` of `path`, or (None) no Link."""
    want = None if next_query is None else f'<{path}?{next_query}>; rel="next"'
    return expect(resp, 200, json=[{"id": i, "title": t, "state": "queued"} for i, t in jobs],
                  headers={"Content-Type": JSON_TYPE, "Link": want})


def test_limit_and_offset_page_the_index(farm):
    jobs = [JOB_1, JOB_2] + add_jobs(farm, 3)
    expect_page(get_index(farm), jobs)                       # no parameters: no Link
    expect_page(farm.client.get(INDEX + "?limit=2"), jobs[:2], "limit=2&offset=2")
    expect_page(farm.client.get(INDEX + "?limit=2&offset=2"), jobs[2:4], "limit=2&offset=4")
    expect_page(farm.client.get(INDEX + "?offset=2&limit=2"), jobs[2:4], "limit=2&offset=4")
    expect_page(farm.client.get(INDEX + "?limit=2&offset=4"), jobs[4:])
    expect_page(farm.client.get(INDEX + "?limit=1&offset=3"), jobs[3:4], "limit=1&offset=4")
    expect_page(farm.client.get(INDEX + "?limit=5"), jobs)    # reaches the end exactly
    expect_page(farm.client.get(INDEX + "?limit=6"), jobs)
    expect_page(farm.client.get(INDEX + "?offset=3"), jobs[3:])
    expect_page(farm.client.get(INDEX + "?offset=5&limit=1"), [])
    expect_page(farm.client.get(INDEX + "?limit=0"), [])      # an empty page: no next
    expect_page(farm.client.get(INDEX + "?offset=9223372036854775807&limit=1"), [])


def test_link_keeps_the_filters_and_the_path(farm):
    jobs = add_jobs(farm, 3)
    expect_page(farm.client.get(INDEX + "?title=job&offset=1&limit=1&jobtype=Blender"),
                jobs[1:2], "title=job&limit=1&jobtype=Blender&offset=2")
    expect_page(farm.client.get(INDEX + "?title=Job%203&limit=1"), jobs[2:])
    expect_page(farm.client.get("/farm" + INDEX + "?title=JOB+&limit=2"), jobs[:2],
                "title=JOB+&limit=2&offset=2", path="/farm" + INDEX)


def test_limit_above_the_maximum_is_cut_down(farm):
    # PyFarmJobsMaxListLimit is 1000 by default; the Link goes on from there
    jobs = [JOB_1, JOB_2] + add_jobs(farm, 1000)
    resp = farm.client.get(INDEX + "?limit=5000")
    expect_page(resp, jobs[:1000], "limit=5000&offset=1000")
    expect_page(farm.client.get(INDEX + "?limit=5000&offset=1000"), jobs[1000:])


def test_bad_paging_values_are_400_before_the_filters(farm):
    for value in ("", "-1", "+1", "1.5", "x", "9223372036854775808"):
        for name, message in (("limit", BAD_LIMIT), ("offset", BAD_OFFSET)):
            expect(farm.client.get(f"{INDEX}?user=bob&{name}={value}"), 400,
                   json={"error": message}, headers={"Content-Type": JSON_TYPE, "Link": None})
    expect(farm.client.get(INDEX + "?offset=x&limit=y"), 400, json={"error": BAD_LIMIT})
