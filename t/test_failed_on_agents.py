"""/api/v1/jobs/<int:job_id>/tasks/<int:task_id>/failed_on_agents/:
doc/api.md §10.4 (list, add, remove) and §0.3 (JSON answers, 204 without a
body).

Deliberate differences from the reference are marked "ours" below:
  * the task must belong to the URL's job: under another job, one that does
    not exist or an id beyond 64 bits it is 404 "Task not found" and nothing
    changes (the reference ignores the job id and finds the task by
    tasks.id alone);
  * an agent id that is not a UUID (or not a string) -> 400 "Agent id is not
    a valid UUID" (reference: 500).  Only the canonical 8-4-4-4-12 spelling
    (hex digits of either case) is taken: the reference also parses braces,
    "urn:uuid:" and ids without hyphens, which agents never send;
  * a POST body that is not a JSON object -> 400 "dictionary expected but
    got <type> instead" (reference: 500);
  * DELETE removes the pair (the reference never commits the removal; its
    own tests expect it gone);
  * GET takes ?limit=&offset= and links to the next page (every list does).
The list is ordered by agent hostname, then agent id: the table has no
column telling the insertion order.
"""


from check import expect, expect_three_entry_pages

API = "/api/v1/jobs"
JSON_TYPE = "application/json"
AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"   # render01 of sql/demo.sql
OTHER_AGENT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
UNKNOWN_AGENT = "11111111-2222-4333-8444-555555555555"


# ---------------------------------------------------------------- helpers

# Task 11 is job 2's: job ids that do not name its job (another job, with or
# without leading zeros, no such job, beyond 64 bits).
OTHER_JOBS = (1, "0001", 999, 0, "9223372036854775808", "99999999999999999999")


def url(task, job=1, agent=None):
    path = f"{API}/{job}/tasks/{task}/failed_on_agents/"
    return path if agent is None else path + agent


def add_agent(farm, agent_id, hostname):
    farm.pg.psql(
        "INSERT INTO agents (id, hostname, notes, remote_ip, use_address, ram,"
        " free_ram, cpus, port, time_offset, restart_requested, state,"
        " last_heard_from, ram_allocation, cpu_allocation)"
        f" VALUES ('{agent_id}', '{hostname}', '', NULL, 311, 1024, 512, 2,"
        " 50000, 0, false, 202, now() at time zone 'utc', 0.8, 1.0)")


def record_sql(farm, task, agent_id=AGENT):
    farm.pg.psql(f"INSERT INTO failed_tasks_in_agents (agent_id, task_id) "
                 f"VALUES ('{agent_id}', {task})")


def pairs(farm):
    """Every (agent_id, task_id) row, sorted."""
    return farm.pg.query("SELECT agent_id, task_id FROM failed_tasks_in_agents "
                         "ORDER BY task_id, agent_id")


def post(farm, task, payload, job=1):
    """POST a JSON value; a str is sent verbatim as JSON text."""
    if isinstance(payload, str):
        return farm.client.post(url(task, job), body=payload,
                                headers={"Content-Type": JSON_TYPE})
    return farm.client.post(url(task, job), json=payload)


def expect_error(resp, status, message):
    return expect(resp, status, json={"error": message},
                  headers={"Content-Type": JSON_TYPE})


def expect_no_content(resp):
    # §0.3 wants Content-Type: application/json on 204 too, but httpd drops
    # it from 204 responses (see the report); not asserted here.
    expect(resp, 204, body=b"", headers={"Content-Length": None})


# --------------------------------------------------------------------- GET

def test_list_is_empty_when_the_task_never_failed(farm):
    expect(farm.client.get(url(1)), 200, json=[], headers={"Content-Type": JSON_TYPE})


def test_list_shows_the_agents_by_hostname(farm):
    add_agent(farm, OTHER_AGENT, "alpha01")
    record_sql(farm, 3, AGENT)
    record_sql(farm, 3, OTHER_AGENT)
    record_sql(farm, 4, AGENT)  # another task's: not listed
    expect(farm.client.get(url(3)), 200, json=[
        {"id": OTHER_AGENT, "hostname": "alpha01"},
        {"id": AGENT, "hostname": "render01"}])


def test_list_shows_agent_ids_in_lowercase(farm):
    upper = "ABCDEF01-2345-4678-9ABC-DEF012345678"
    add_agent(farm, upper, "render02")
    record_sql(farm, 1, upper)
    expect(farm.client.get(url(1)), 200,
           json=[{"id": upper.lower(), "hostname": "render02"}])


def test_list_through_the_tasks_own_job(farm):
    record_sql(farm, 11)  # task 11 belongs to job 2
    want = [{"id": AGENT, "hostname": "render01"}]
    for job in (2, "0000000000000000000002"):
        expect(farm.client.get(url(11, job)), 200, json=want)


def test_list_under_another_job_is_404(farm):  # ours
    record_sql(farm, 11)
    for job in OTHER_JOBS:
        expect_error(farm.client.get(url(11, job)), 404, "Task not found")


def test_list_of_unknown_task_is_404(farm):
    for task in (999, 0, "99999999999999999999"):
        expect_error(farm.client.get(url(task)), 404, "Task not found")


def test_list_pages(farm):  # ours
    add_agent(farm, OTHER_AGENT, "alpha01")
    record_sql(farm, 1, AGENT)
    record_sql(farm, 1, OTHER_AGENT)
    expect(farm.client.get(url(1) + "?limit=1"), 200,
           json=[{"id": OTHER_AGENT, "hostname": "alpha01"}])
    expect(farm.client.get(url(1) + "?limit=1&offset=1"), 200,
           json=[{"id": AGENT, "hostname": "render01"}])
    expect(farm.client.get(url(1) + "?offset=2"), 200, json=[])
    expect_error(farm.client.get(url(1) + "?offset=-1"), 400,
                 "offset must be a non-negative integer")


def test_list_links_to_the_next_page(farm):  # ours
    third = "fedcba98-7654-4321-8fed-cba987654321"
    add_agent(farm, OTHER_AGENT, "alpha01")
    add_agent(farm, third, "zulu01")
    for agent in (third, AGENT, OTHER_AGENT):
        record_sql(farm, 11, agent)
    entries = [{"id": OTHER_AGENT, "hostname": "alpha01"},
               {"id": AGENT, "hostname": "render01"}, {"id": third, "hostname": "zulu01"}]
    for job in (2, "002"):
        path = url(11, job)
        expect_three_entry_pages(farm.client, path, entries)


# -------------------------------------------------------------------- POST

def test_add_records_the_pair(farm):
    resp = post(farm, 1, {"id": AGENT})
    expect(resp, 201, json={"id": AGENT, "hostname": "render01"},
           headers={"Content-Type": JSON_TYPE})
    assert pairs(farm) == [(AGENT, "1")]
    expect(farm.client.get(url(1)), 200, json=[{"id": AGENT, "hostname": "render01"}])


def test_add_twice_keeps_one_row(farm):
    for _ in range(2):
        expect(post(farm, 1, {"id": AGENT}), 201,
               json={"id": AGENT, "hostname": "render01"})
    assert pairs(farm) == [(AGENT, "1")]


def test_add_echoes_the_id_as_sent(farm):
    upper = AGENT.upper()
    expect(post(farm, 2, {"id": upper}), 201, json={"id": upper, "hostname": "render01"})
    expect(post(farm, 2, {"id": AGENT}), 201, json={"id": AGENT, "hostname": "render01"})
    assert pairs(farm) == [(AGENT, "2")]


def test_add_through_the_tasks_own_job(farm):
    for job in (2, "002"):
        expect(post(farm, 11, {"id": AGENT}, job=job), 201,
               json={"id": AGENT, "hostname": "render01"})
    assert pairs(farm) == [(AGENT, "11")]


def test_add_under_another_job_is_404(farm):  # ours
    for job in OTHER_JOBS:
        # the task comes first, before anything about the body
        for payload in ({"id": AGENT}, {"id": UNKNOWN_AGENT}, {"id": "nope"}, {}, "[1]"):
            expect_error(post(farm, 11, payload, job=job), 404, "Task not found")
    assert pairs(farm) == []


def test_add_ignores_other_keys(farm):
    expect(post(farm, 1, {"id": AGENT, "hostname": "x", "extra": [1]}), 201,
           json={"id": AGENT, "hostname": "render01"})


def test_add_to_unknown_task_is_404(farm):
    for task in (999, "99999999999999999999"):
        expect_error(post(farm, task, {"id": AGENT}), 404, "Task not found")
    # the task comes first, before anything about the body
    expect_error(post(farm, 999, {}), 404, "Task not found")
    expect_error(post(farm, 999, {"id": "nope"}), 404, "Task not found")
    expect_error(post(farm, 999, "[1]"), 404, "Task not found")
    assert pairs(farm) == []


def test_add_without_agent_id_is_404(farm):
    for payload in ({}, {"id": None}, {"agent_id": AGENT}):
        expect_error(post(farm, 1, payload), 404, "Agent not found")
    assert pairs(farm) == []


def test_add_unknown_agent_is_404(farm):
    expect_error(post(farm, 1, {"id": UNKNOWN_AGENT}), 404, "Agent not found")
    assert pairs(farm) == []


def test_add_invalid_agent_id_is_400(farm):  # ours (reference: 500)
    for value in ("nope", "", AGENT + "0", AGENT[:-1], AGENT.replace("-", ""),
                  "{" + AGENT + "}", "urn:uuid:" + AGENT, AGENT.replace("f", "g"),
                  " " + AGENT, AGENT[:8] + "_" + AGENT[9:], "%s' OR '1'='1",
                  5, 1.5, True, [AGENT], {"id": AGENT}):
        expect_error(post(farm, 1, {"id": value}), 400, "Agent id is not a valid UUID")
    assert pairs(farm) == []


def test_add_with_a_body_that_is_not_an_object_is_400(farm):  # ours (reference: 500)
    for payload, kind in ((f'["{AGENT}"]', "list"), (f'"{AGENT}"', "str"),
                          ("1", "int"), ("null", "NoneType")):
        expect_error(post(farm, 1, payload), 400,
                     f"dictionary expected but got {kind} instead")
    expect_error(farm.client.post(url(1)), 400,
                 "dictionary expected but got NoneType instead")
    assert pairs(farm) == []


# ------------------------------------------------------------------ DELETE

def test_delete_removes_the_pair(farm):
    add_agent(farm, OTHER_AGENT, "alpha01")
    record_sql(farm, 1, AGENT)
    record_sql(farm, 1, OTHER_AGENT)
    record_sql(farm, 2, AGENT)
    expect_no_content(farm.client.delete(url(1, agent=AGENT)))
    assert pairs(farm) == [(OTHER_AGENT, "1"), (AGENT, "2")]
    expect(farm.client.get(url(1)), 200, json=[{"id": OTHER_AGENT, "hostname": "alpha01"}])


def test_delete_of_a_pair_not_recorded_is_204(farm):
    record_sql(farm, 2, AGENT)
    expect_no_content(farm.client.delete(url(1, agent=AGENT)))
    assert pairs(farm) == [(AGENT, "2")]


def test_delete_through_the_tasks_own_job(farm):
    record_sql(farm, 11)
    expect_no_content(farm.client.delete(url(11, job="02", agent=AGENT)))
    assert pairs(farm) == []


def test_delete_under_another_job_is_404_and_keeps_the_pair(farm):  # ours
    record_sql(farm, 11)
    for job in OTHER_JOBS:
        for agent in (AGENT, UNKNOWN_AGENT, "nope"):
            expect_error(farm.client.delete(url(11, job=job, agent=agent)), 404,
                         "Task not found")
    assert pairs(farm) == [(AGENT, "11")]


def test_delete_takes_an_upper_case_id(farm):
    record_sql(farm, 1)
    expect_no_content(farm.client.delete(url(1, agent=AGENT.upper())))
    assert pairs(farm) == []


def test_delete_on_unknown_task_is_404(farm):
    for task in (999, "99999999999999999999"):
        expect_error(farm.client.delete(url(task, agent=AGENT)), 404, "Task not found")
    expect_error(farm.client.delete(url(999, agent="nope")), 404, "Task not found")


def test_delete_unknown_agent_is_404(farm):
    expect_error(farm.client.delete(url(1, agent=UNKNOWN_AGENT)), 404, "Agent not found")


def test_delete_invalid_agent_id_is_400(farm):  # ours (reference: 500)
    record_sql(farm, 1)
    for value in ("nope", AGENT.replace("-", ""), "%7B" + AGENT + "%7D", AGENT + "0",
                  "%27%3B%20DROP%20TABLE%20agents%3B--"):
        expect_error(farm.client.delete(url(1, agent=value)), 400,
                     "Agent id is not a valid UUID")
    assert pairs(farm) == [(AGENT, "1")]

