"""DELETE /api/v1/jobs/<job> -- deleting a job.

Sections of doc/api.md covered:
  §7    404 for an unknown job, 204 without a body; the job and its direct
        children go, <job> by id or by title (§0.1)
  §0.3  a 204 answer has no body and no Content-Length but Content-Type
        application/json
  §9.3  deleted tasks take their failed_tasks_in_agents rows along and
        their task_log_associations by cascade
  §9.4  the job's notified_users, software and tag requirements, tag
        associations and dependencies (both directions) go with it; a job
        group left without jobs is deleted (the reference crashes there)

Ours (src/resources/jobs.c, pfj_job_delete): everything goes at once in one
statement, tasks an agent is running included -- there is no scheduler to
finish the deletion later, so the job is never left behind marked
to_be_deleted.
"""

import urllib.parse

from check import expect

API = "/api/v1/jobs"
DEMO_AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"

# Tables holding rows of a job, and the column naming the job.
JOB_TABLES = (("jobs", "id"), ("tasks", "job_id"), ("notified_users", "job_id"),
              ("job_software_requirements", "job_id"), ("job_tag_requirements", "job_id"),
              ("job_tag_associations", "job_id"), ("job_dependencies", "parentid"),
              ("job_dependencies", "childid"))

# Tables a deletion may touch at all.
ALL_TABLES = ("jobs", "tasks", "notified_users", "job_software_requirements",
              "job_tag_requirements", "job_tag_associations", "job_dependencies",
              "job_groups", "failed_tasks_in_agents", "task_logs", "task_log_associations",
              "users", "tags", "software", "agents")


# ---------------------------------------------------------------- helpers

def scalar(farm, sql):
    rows = farm.pg.query(sql)
    assert len(rows) == 1 and len(rows[0]) == 1, f"{sql}: {rows}"
    return rows[0][0]


def sql_text(value):
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def delete(farm, ref, **kwargs):
    if isinstance(ref, str):
        ref = urllib.parse.quote(ref, safe="")
    return farm.client.delete(f"{API}/{ref}", **kwargs)


def deleted(farm, ref, **kwargs):
    """DELETE the job and expect 204 with an empty body."""
    resp = delete(farm, ref, **kwargs)
    expect(resp, 204, body=b"")
    return resp


def job_rows(farm, job_id):
    """Every row referring to the job, as (table, row text), sorted."""
    sql = " UNION ALL ".join(f"SELECT '{t}', x::text FROM {t} x WHERE {c} = {job_id}"
                             for t, c in JOB_TABLES)
    return sorted(farm.pg.query(sql))


def all_rows(farm, tables=ALL_TABLES):
    sql = " UNION ALL ".join(f"SELECT '{t}', x::text FROM {t} x" for t in tables)
    return sorted(farm.pg.query(sql))


def count(farm, table, where="true"):
    return int(scalar(farm, f"SELECT count(*) FROM {table} WHERE {where}"))


def job_ids(farm):
    return [int(row[0]) for row in farm.pg.query("SELECT id FROM jobs ORDER BY id")]


def add_job(farm, title, frames=(1, 2), group=None):
    """A copy of demo job 2 with this title, job group and one task per
    frame; its id."""
    values = ", ".join(f"({frame})" for frame in frames)
    return int(scalar(farm, f"""
        WITH job AS (
            INSERT INTO jobs (title, jobtype_version_id, job_group_id, weight, hidden,
                              to_be_deleted, completion_notify_sent, time_submitted)
            SELECT {sql_text(title)}, jobtype_version_id, {group or "NULL"}, weight, hidden,
                   to_be_deleted, completion_notify_sent, time_submitted
              FROM jobs WHERE id = 2
            RETURNING id),
        new_tasks AS (
            INSERT INTO tasks (job_id, frame, priority, attempts, failures, progress,
                               hidden, sent_to_agent, time_submitted)
            SELECT id, f.frame, 0, 0, 0, 0.0, false, false, now() AT TIME ZONE 'utc'
              FROM job, (VALUES {values}) AS f(frame))
        SELECT id FROM job"""))


def link(farm, parent, child):
    farm.pg.psql(f"INSERT INTO job_dependencies (parentid, childid) VALUES ({parent}, {child})")


def add_job_group(farm, title, *jobs):
    group = int(scalar(farm, "INSERT INTO job_groups (title, main_jobtype_id) VALUES "
                             f"({sql_text(title)}, (SELECT id FROM jobtypes)) RETURNING id"))
    for job_id in jobs:
        farm.pg.psql(f"UPDATE jobs SET job_group_id = {group} WHERE id = {job_id}")
    return group


def give_job_1_every_link(farm):
    """Demo job 1 has tasks, a tag and a software requirement; add a
    notified user, a tag requirement, a parent (job 2) and a child."""
    farm.pg.psql("""
        INSERT INTO notified_users (user_id, job_id, on_success, on_failure, on_deletion)
        SELECT id, 1, true, true, true FROM users WHERE username = 'alice';
        INSERT INTO job_tag_requirements (tag_id, job_id, negate)
        SELECT id, 1, false FROM tags WHERE tag = 'workstation';
        INSERT INTO job_dependencies (parentid, childid) VALUES (2, 1)""")
    child = add_job(farm, "child")
    link(farm, 1, child)
    return child


def assign(farm, job_id, frame, state="NULL"):
    farm.pg.psql(f"UPDATE tasks SET agent_id = '{DEMO_AGENT}', state = {state}, "
                 f"attempts = 1 WHERE job_id = {job_id} AND frame = {frame}")


def expect_job_gone(farm, job_id):
    assert job_rows(farm, job_id) == [], job_rows(farm, job_id)
    expect(farm.client.get(f"{API}/{job_id}"), 404, json={"error": "Job not found"})


# ------------------------------------------------------------ §7: answers

def test_delete_answers_204_with_an_empty_body(farm):
    expect(delete(farm, 1), 204, body=b"", headers={"Content-Length": None})


def test_204_answer_is_labelled_json(farm):
    # §0.3: no body, but Content-Type application/json
    expect(delete(farm, 1), 204, body=b"", headers={"Content-Type": "application/json"})


def test_unknown_job_is_not_found(farm):
    before = all_rows(farm)
    for ref in (99, "Nope", "demo shot 010", 2 ** 64, 0):
        expect(delete(farm, ref), 404, json={"error": "Job not found"},
               headers={"Content-Type": "application/json"})
    assert all_rows(farm) == before


def test_deleting_twice_is_not_found_the_second_time(farm):
    deleted(farm, 2)
    expect(delete(farm, 2), 404, json={"error": "Job not found"})


def test_job_is_found_by_title(farm):
    deleted(farm, "Demo shot 020")
    assert job_ids(farm) == [1]
    expect_job_gone(farm, 2)


def test_title_shared_by_jobs_deletes_the_oldest(farm):
    newer = add_job(farm, "Demo shot 020")
    deleted(farm, "Demo shot 020")
    assert job_ids(farm) == [1, newer]


def test_all_digit_reference_is_an_id(farm):
    add_job(farm, "2")
    deleted(farm, "2")
    assert job_ids(farm) == [1, 3]


def test_a_request_body_is_ignored(farm):
    deleted(farm, 1, json={"id": 2})
    assert job_ids(farm) == [2]


# ---------------------------------------- §9.4: the job and what it owns

def test_job_and_its_tasks_are_gone(farm):
    deleted(farm, 1)
    expect_job_gone(farm, 1)
    assert count(farm, "tasks") == 4


def test_rows_referring_to_the_job_go_with_it(farm):
    child = give_job_1_every_link(farm)
    deleted(farm, 1)
    for job_id in (1, child):
        expect_job_gone(farm, job_id)
    for table in ("notified_users", "job_software_requirements", "job_tag_requirements",
                  "job_tag_associations", "job_dependencies"):
        assert count(farm, table) == 0, table


def test_users_tags_and_software_stay(farm):
    give_job_1_every_link(farm)
    shared = ("users", "tags", "software", "software_versions", "agents", "job_queues",
              "jobtypes", "jobtype_versions")
    before = all_rows(farm, shared)
    deleted(farm, 1)
    assert all_rows(farm, shared) == before


def test_other_jobs_are_untouched(farm):
    other = add_job(farm, "other", frames=(1, 2, 3))
    farm.pg.psql(f"""
        INSERT INTO notified_users (user_id, job_id, on_success, on_failure, on_deletion)
        SELECT id, {other}, true, false, true FROM users;
        INSERT INTO job_tag_associations (job_id, tag_id) SELECT {other}, id FROM tags;
        INSERT INTO job_software_requirements (software_id, job_id)
        SELECT id, {other} FROM software WHERE software = 'blender'""")
    link(farm, 2, other)
    before = {job_id: job_rows(farm, job_id) for job_id in (2, other)}
    deleted(farm, 1)
    assert {job_id: job_rows(farm, job_id) for job_id in (2, other)} == before


# --------------------------------------- §7: parents, children, grandchildren

def test_link_to_a_parent_is_removed_and_the_parent_kept(farm):
    link(farm, 2, 1)
    deleted(farm, 1)
    assert job_ids(farm) == [2]
    assert count(farm, "job_dependencies") == 0
    assert count(farm, "tasks", "job_id = 2") == 4


def test_direct_children_are_deleted_with_their_tasks(farm):
    link(farm, 1, 2)
    deleted(farm, 1)
    assert job_ids(farm) == []
    assert count(farm, "tasks") == 0


def test_grandchildren_are_kept_without_the_link_to_their_deleted_parent(farm):
    link(farm, 1, 2)
    grandchild = add_job(farm, "grandchild", frames=(1, 2, 3))
    link(farm, 2, grandchild)
    deleted(farm, 1)
    assert job_ids(farm) == [grandchild]
    assert count(farm, "tasks", f"job_id = {grandchild}") == 3
    assert count(farm, "job_dependencies") == 0
    got = expect(farm.client.get(f"{API}/{grandchild}"), 200).json()
    assert (got["parents"], got["to_be_deleted"]) == ([], False), got


def test_a_child_with_another_parent_is_deleted_too(farm):
    other_parent = add_job(farm, "other parent")
    link(farm, 1, 2)
    link(farm, other_parent, 2)
    deleted(farm, 1)
    assert job_ids(farm) == [other_parent]
    assert count(farm, "job_dependencies") == 0


def test_deleting_a_child_keeps_its_parent(farm):
    link(farm, 1, 2)
    deleted(farm, 2)
    assert job_ids(farm) == [1]
    got = expect(farm.client.get(f"{API}/1"), 200).json()
    assert got["children"] == [], got


# ------------------------------------------------------- §9.4: job groups

def test_job_group_left_empty_is_deleted(farm):
    # the reference answers 500 here and keeps the group
    add_job_group(farm, "shots", 1)
    deleted(farm, 1)
    assert count(farm, "job_groups") == 0


def test_job_group_still_used_is_kept(farm):
    group = add_job_group(farm, "shots", 1, 2)
    deleted(farm, 1)
    assert farm.pg.query("SELECT id, title FROM job_groups") == [(str(group), "shots")]
    assert scalar(farm, "SELECT job_group_id FROM jobs WHERE id = 2") == str(group)


def test_job_group_emptied_by_the_job_and_its_child_is_deleted(farm):
    add_job_group(farm, "shots", 1, 2)
    link(farm, 1, 2)
    deleted(farm, 1)
    assert count(farm, "job_groups") == 0


def test_other_job_groups_are_kept(farm):
    add_job_group(farm, "shots", 1)
    empty = add_job_group(farm, "empty")
    other = add_job_group(farm, "other", 2)
    deleted(farm, 1)
    assert [int(r[0]) for r in farm.pg.query("SELECT id FROM job_groups ORDER BY id")] == \
        [empty, other]


# ------------------------------------------------------- §9.3: the tasks

def test_tasks_an_agent_holds_are_deleted_too(farm):
    # ours: the reference keeps the job marked to_be_deleted until a
    # scheduler finishes these tasks
    assign(farm, 1, 1, "105")
    assign(farm, 1, 2)
    assign(farm, 1, 3, "106")
    assign(farm, 1, 4, "107")
    assign(farm, 1, 5, "100")
    deleted(farm, 1)
    expect_job_gone(farm, 1)
    assert count(farm, "tasks", f"agent_id = '{DEMO_AGENT}'") == 0


def test_failure_rows_and_log_associations_of_the_tasks_go(farm):
    farm.pg.psql(f"""
        INSERT INTO failed_tasks_in_agents (agent_id, task_id)
        SELECT '{DEMO_AGENT}', id FROM tasks WHERE frame IN (1, 2);
        INSERT INTO task_logs (identifier, agent_id, created_on)
        VALUES ('shared.log', '{DEMO_AGENT}', now() AT TIME ZONE 'utc');
        INSERT INTO task_log_associations (task_log_id, task_id, attempt, state)
        SELECT l.id, t.id, 1, 106 FROM task_logs l, tasks t WHERE t.frame = 1""")
    job_2_rows = sorted(farm.pg.query(
        "SELECT 'failed', task_id::text FROM failed_tasks_in_agents f JOIN tasks t "
        "ON t.id = f.task_id WHERE t.job_id = 2 UNION ALL SELECT 'log', task_id::text "
        "FROM task_log_associations a JOIN tasks t ON t.id = a.task_id WHERE t.job_id = 2"))
    assert len(job_2_rows) == 3
    deleted(farm, 1)
    assert sorted(farm.pg.query("SELECT 'failed', task_id::text FROM failed_tasks_in_agents "
                                "UNION ALL SELECT 'log', task_id::text "
                                "FROM task_log_associations")) == job_2_rows
    assert count(farm, "task_logs") == 1
