"""conf/openapi.json, the OpenAPI 3.1 document of the API, against the
module (issue 13).

* Its schemas are valid JSON Schema 2020-12 (Debian's python3-jsonschema;
  bookworm packages no OpenAPI validator).
* Its routes are the router's: the (method, path) pairs of the route table
  in src/core/router.c equal the document's operations, and OPTIONS on one
  concrete path per document path answers the document's methods in Allow
  (or 308 where the document says the path redirects).
* Real answers validate: one request per route and status class, each
  answer checked against the schema and headers the document declares for
  its route and status; every operation of the document is exercised.
* The schemas are strict: a job object missing a key, or with one more,
  does not validate."""

import copy
import json
import os
import re
import time

from jsonschema import Draft202012Validator

from check import expect

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC_PATH = os.path.join(REPO, "conf", "openapi.json")
ROUTER_C = os.path.join(REPO, "src", "core", "router.c")
JSON_TYPE = "application/json"
AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"   # sql/demo.sql: render01, 127.0.0.1:50000
METHODS = ("get", "put", "post", "delete")
# the router's placeholder for each path parameter of the document
PLACEHOLDER = {"job": "{job}", "job_id": "{int}", "task_id": "{int}", "attempt": "{int}",
               "agent_id": "{str}", "username": "{str}", "identifier": "{str}"}
# a concrete value of each path parameter, for OPTIONS
EXAMPLE = {"job": "1", "job_id": "1", "task_id": "1", "attempt": "1", "agent_id": AGENT,
           "username": "alice", "identifier": "x.csv"}
DB_RETRIES = 50
LOG_DIR_NAME = "task_logs"   # t/run.py

with open(DOC_PATH, encoding="utf-8") as _f:
    DOC = json.load(_f)
PREFIX = DOC["servers"][0]["url"]


def deref(node):
    """An OpenAPI object with its "$ref" (a local JSON pointer) followed."""
    while "$ref" in node:
        target = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def declared_response(method, template, status):
    """The response the document declares for (method, template, status)
    and the JSON pointer where it is written."""
    item, pointer = DOC["paths"][template], "#/paths/" + template.replace("/", "~1")
    if "$ref" in item:
        pointer = item["$ref"]
    response = deref(item)[method.lower()]["responses"][str(status)]
    pointer = response.get("$ref", f"{pointer}/{method.lower()}/responses/{status}")
    return deref(response), pointer


def validator(pointer):
    """A 2020-12 validator of the schema at `pointer`, with the document as
    its root so that its $refs resolve."""
    return Draft202012Validator({**DOC, "$ref": pointer})


def operations():
    """{(METHOD, path): operation} of the document, redirects included."""
    return {(m.upper(), path): op for path, item in DOC["paths"].items()
            for m, op in deref(item).items() if m in METHODS}


def is_redirect(op):
    return list(op["responses"]) == ["308"]


def router_routes():
    """(METHOD, pattern) of src/core/router.c's route table, its string
    macros (LOGS) expanded and adjacent literals joined."""
    with open(ROUTER_C, encoding="utf-8") as f:
        source = f.read()
    macros = dict(re.findall(r'^#define (\w+) ("[^"\n]*")$', source, re.M))
    table = re.search(r"static const route routes\[\] = \{(.*?)\n\};", source, re.S).group(1)
    routes = set()
    for parts, method in re.findall(r'\{((?:\s*(?:"[^"]*"|[A-Z_]+))+),\s*PFJ_M_(\w+),', table):
        tokens = re.findall(r'"[^"]*"|[A-Z_]+', parts)
        routes.add((method, "".join(json.loads(macros.get(t, t)) for t in tokens)))
    return routes


def router_pattern(path):
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDER[m.group(1)],
                  path.removeprefix("/jobs"))


def fill(path):
    """The document's path with an example value for each parameter."""
    return re.sub(r"\{(\w+)\}", lambda m: EXAMPLE[m.group(1)], path)


def matches(template, path):
    """Does the document's path template match this concrete path?"""
    t, p = template.split("/"), path.removeprefix(PREFIX).split("/")
    return len(t) == len(p) and all(
        a == b or (a.startswith("{") and b and (PLACEHOLDER[a[1:-1]] != "{int}" or b.isdigit()))
        for a, b in zip(t, p))


# ------------------------------------------------------------- the document

def test_schemas_are_valid_json_schema(farm):
    def schemas(node):
        if isinstance(node, dict):
            if "schema" in node:
                yield node["schema"]
            for value in node.values():
                yield from schemas(value)
        elif isinstance(node, list):
            for value in node:
                yield from schemas(value)

    assert DOC["openapi"].startswith("3.1.")
    found = list(DOC["components"]["schemas"].values()) + list(schemas(DOC))
    for schema in found:
        Draft202012Validator.check_schema(schema)
    assert len(found) > 100, len(found)
    for op in operations().values():   # every $ref points at something
        for response in op["responses"].values():
            deref(response)


def test_routes_are_the_routers(farm):
    documented = {(m, router_pattern(p)) for (m, p), op in operations().items()
                  if not is_redirect(op)}
    routes = router_routes()
    assert len(routes) == 21, sorted(routes)
    assert documented == routes, (f"only in the document: {sorted(documented - routes)}\n"
                                  f"only in the router: {sorted(routes - documented)}")


def test_options_answers_the_documented_methods(farm):
    ops = operations()
    for path, item in DOC["paths"].items():
        resp = farm.client.request("OPTIONS", PREFIX + fill(path))
        if all(is_redirect(op) for (m, p), op in ops.items() if p == path):
            expect(resp, 308)
            continue
        methods = {m for (m, p), op in ops.items() if matches(p, PREFIX + fill(path))
                   and not is_redirect(op)}
        allow = ["GET", "HEAD"] if "GET" in methods else []
        allow += [m for m in ("POST", "PUT", "DELETE") if m in methods] + ["OPTIONS"]
        expect(resp, 200, headers={"Allow": ", ".join(allow)})


def test_schemas_are_strict(farm):
    job = expect(farm.client.get(f"{PREFIX}/jobs/1"), 200).json()
    strict = validator("#/components/schemas/Job")
    assert strict.is_valid(job)
    assert len(job) == 40
    missing, extra, wrong = copy.deepcopy(job), copy.deepcopy(job), copy.deepcopy(job)
    del missing["notified_users"]
    extra["project"] = None
    wrong["state"] = "assigned"
    for bad in (missing, extra, wrong):
        assert not strict.is_valid(bad), bad
    assert validator("#/components/schemas/JobUpdated").is_valid(missing)
    assert not validator("#/components/schemas/JobUpdated").is_valid(job)


# ----------------------------------------------------------------- answers

class Answers:
    """Sends requests and checks each answer against the document."""

    def __init__(self, farm):
        self.client, self.seen = farm.client, set()

    def check(self, method, path, status, template, body=None, json_body=None,
              headers=None, response=None, link=None):
        """Send; expect `status`; validate the answer against the response
        the document declares for (method, template) - or `response`, a
        components/responses name; `link`: whether a Link must be there."""
        kwargs = {"headers": headers or {}}
        if json_body is not None:
            kwargs["json"] = json_body
        if body is not None:
            kwargs["body"] = body
        resp = expect(self.client.request(method, PREFIX + path, **kwargs), status)
        if response is None:
            self.seen.add((method, template))
            declared, pointer = declared_response(method, template, status)
        else:
            declared = DOC["components"]["responses"][response]
            pointer = f"#/components/responses/{response}"
        content = declared.get("content", {})
        if JSON_TYPE in content:
            assert resp.headers.get("Content-Type") == JSON_TYPE, resp.headers
            errors = list(validator(f"{pointer}/content/application~1json/schema")
                          .iter_errors(resp.json()))
            assert not errors, f"{method} {path} {status}: {errors[0].message}\n{resp.text[:2000]}"
        elif content:
            assert resp.headers.get("Content-Type") in content, (resp.headers, list(content))
        for name, header in declared.get("headers", {}).items():
            header = deref(header)
            value = resp.headers.get(name)
            if header.get("required"):
                assert value is not None, f"{method} {path}: no {name}"
            if value is not None:
                assert Draft202012Validator(header["schema"]).is_valid(value), (name, value)
        if link is not None:
            assert ("Link" in resp.headers) == link, resp.headers
        return resp


def test_answers_validate(farm):
    a = Answers(farm)
    jobs, job, tasks = "/jobs/", "/jobs/{job}", "/jobs/{job}/tasks/"
    task = "/jobs/{job}/tasks/{task_id}"
    foa = "/jobs/{job_id}/tasks/{task_id}/failed_on_agents/"
    users = "/jobs/{job}/notified_users/"
    logs = "/jobs/{job_id}/tasks/{task_id}/attempts/{attempt}/logs/"

    # jobs
    a.check("GET", "/jobs/", 200, jobs, link=False)
    a.check("GET", "/jobs/?limit=1", 200, jobs, link=True)
    a.check("GET", "/jobs/?limit=x", 400, jobs)
    a.check("GET", "/jobs/?user=nobody", 404, jobs)
    new = a.check("POST", "/jobs/", 201, jobs, json_body={
        "title": "openapi", "jobtype": "Blender", "start": 1, "end": 3,
        "software_requirements": [{"software": "blender", "min_version": "2.79"}],
        "tags": ["workstation"], "tag_requirements": [{"tag": "gpu", "negate": False}],
        "parents": [{"id": 1}], "notified_users": [{"username": "alice"}],
        "jobqueue": "render/hi", "data": {"a": 1}}).json()
    a.check("POST", "/jobs/", 404, jobs, json_body={"title": "t", "jobtype": "Nope"})
    a.check("POST", "/jobs/", 404, jobs, json_body={"title": "t", "jobtype": "Blender",
                                                    "software_requirements": [{"software": "x"}]})
    a.check("POST", "/jobs/", 404, jobs, json_body={"title": "t", "jobtype": "Blender",
                                                    "user": "nobody", "jobqueue": "none"})
    a.check("POST", "/jobs/", 400, jobs, json_body={"title": "t"})
    a.check("POST", "/jobs/", 400, jobs, body="{", headers={"Content-Type": JSON_TYPE})
    a.check("POST", "/jobs/", 409, jobs, json_body={"title": "t", "jobtype": "Blender", "id": 1})
    a.check("POST", "/jobs/", 413, jobs, json_body={"title": "t" * 70000, "jobtype": "Blender"})
    a.check("POST", "/jobs/", 415, jobs, body="x", headers={"Content-Type": "text/plain"})
    a.check("GET", "/jobs/schema", 200, "/jobs/schema")
    a.check("GET", "/jobs/1", 200, job)
    a.check("GET", "/jobs/Demo%20shot%20020", 200, job)
    a.check("GET", "/jobs/999", 404, job)
    a.check("POST", f"/jobs/{new['id']}", 200, job, json_body={"priority": 5, "end": 4})
    a.check("POST", "/jobs/1", 400, job, json_body={"software_requirements": 1})
    a.check("POST", "/jobs/1", 404, job, json_body={"parents": [{"id": 999}]})
    a.check("DELETE", f"/jobs/{new['id']}", 204, job)
    a.check("DELETE", f"/jobs/{new['id']}", 404, job)

    # tasks
    a.check("GET", "/jobs/1/tasks/", 200, tasks, link=False)
    a.check("GET", "/jobs/1/tasks/?limit=2&state=queued", 200, tasks, link=True)
    a.check("GET", "/jobs/1/tasks/?after=x", 400, tasks)
    a.check("GET", "/jobs/999/tasks/", 404, tasks)
    a.check("GET", "/jobs/nothing/tasks/", 404, tasks)
    a.check("GET", "/jobs/1/tasks/1", 200, task)
    a.check("GET", "/jobs/1/tasks/11", 404, task)
    a.check("POST", "/jobs/1/tasks/1", 200, task, json_body={"priority": 3, "last_error": "e"})
    a.check("POST", "/jobs/1/tasks/1", 400, task, json_body={"frame": 2})
    a.check("POST", "/jobs/1/tasks/11", 404, task, json_body={})

    # failed_on_agents
    a.check("POST", "/jobs/1/tasks/1/failed_on_agents/", 201, foa, json_body={"id": AGENT})
    a.check("POST", "/jobs/1/tasks/1/failed_on_agents/", 400, foa, json_body={"id": "x"})
    a.check("POST", "/jobs/1/tasks/1/failed_on_agents/", 404, foa, json_body={})
    a.check("GET", "/jobs/1/tasks/1/failed_on_agents/", 200, foa, link=False)
    a.check("GET", "/jobs/1/tasks/1/failed_on_agents/?offset=-1", 400, foa)
    a.check("GET", "/jobs/1/tasks/11/failed_on_agents/", 404, foa)
    a.check("DELETE", f"/jobs/1/tasks/1/failed_on_agents/{AGENT}", 204, foa + "{agent_id}")
    a.check("DELETE", "/jobs/1/tasks/1/failed_on_agents/x", 400, foa + "{agent_id}")
    a.check("DELETE", f"/jobs/1/tasks/11/failed_on_agents/{AGENT}", 404, foa + "{agent_id}")

    # notified users
    a.check("POST", "/jobs/1/notified_users/", 201, users, json_body={"username": "alice"})
    a.check("POST", "/jobs/1/notified_users/", 409, users, json_body={"username": "alice"})
    a.check("POST", "/jobs/1/notified_users/", 404, users, json_body={"username": "nobody"})
    a.check("POST", "/jobs/999/notified_users/", 404, users, json_body={"username": "alice"})
    a.check("POST", "/jobs/1/notified_users/", 400, users, json_body={"username": 1})
    a.check("GET", "/jobs/1/notified_users/", 200, users, link=False)
    a.check("GET", "/jobs/1/notified_users/?limit=z", 400, users)
    a.check("GET", "/jobs/999/notified_users/", 404, users)
    a.check("DELETE", "/jobs/1/notified_users/alice", 204, users + "{username}")
    a.check("DELETE", "/jobs/1/notified_users/nobody", 404, users + "{username}")

    # task logs
    log, logfile = logs + "{identifier}", logs + "{identifier}/logfile"
    here = "/jobs/1/tasks/1/attempts/1/logs/"
    a.check("POST", here, 201, logs, json_body={"identifier": "openapi.csv", "agent_id": AGENT})
    a.check("POST", here, 201, logs, json_body={"identifier": "remote.csv", "agent_id": AGENT})
    a.check("POST", here, 409, logs, json_body={"identifier": "openapi.csv"})
    a.check("POST", here, 400, logs, json_body={"identifier": ".hidden"})
    a.check("POST", here, 415, logs, body="x", headers={"Content-Type": "text/csv"})
    a.check("POST", "/jobs/1/tasks/11/attempts/1/logs/", 404, logs, json_body={"identifier": "y"})
    a.check("GET", here, 200, logs, link=False)
    a.check("GET", here + "?limit=1", 200, logs, link=True)
    a.check("GET", here + "?limit=-", 400, logs)
    a.check("GET", "/jobs/1/tasks/11/attempts/1/logs/", 404, logs)
    a.check("GET", here + "openapi.csv", 200, log)
    a.check("GET", here + "other.csv", 404, log)
    a.check("GET", "/jobs/1/tasks/2/attempts/1/logs/openapi.csv", 404, log)
    a.check("POST", here + "openapi.csv", 200, log, json_body={"state": "done"})
    a.check("POST", here + "openapi.csv", 400, log, json_body={"state": "assigned"})
    a.check("POST", here + "other.csv", 404, log, json_body={})
    a.check("PUT", here + "openapi.csv/logfile", 201, logfile, body="a,b\n",
            headers={"Content-Type": "text/csv"})
    a.check("PUT", here + "other.csv/logfile", 404, logfile, body="a,b\n",
            headers={"Content-Type": "text/csv"})
    a.check("GET", here + "openapi.csv/logfile", 200, logfile)
    a.check("GET", here + "openapi.csv/logfile", 206, logfile, headers={"Range": "bytes=0-0"})
    os.unlink(os.path.join(farm.basedir, LOG_DIR_NAME, "openapi.csv"))  # outlives farm.reset()
    a.check("GET", here + "remote.csv/logfile", 307, logfile)
    a.check("GET", here + "other.csv/logfile", 404, logfile)

    # routing: 308 on every redirect path and method, 405, unknown paths
    for (method, path), op in operations().items():
        if is_redirect(op):
            resp = a.check(method, fill(path), 308, path)
            assert resp.headers["Location"].endswith(f"{PREFIX}{fill(path)}/"), resp.headers
    a.check("PUT", "/jobs/1", 405, None, response="MethodNotAllowed")
    a.check("PATCH", "/jobs/", 405, None, response="MethodNotAllowed")
    a.check("GET", "/jobs/1/", 404, None, response="NotFound")

    assert a.seen == set(operations()), sorted(set(operations()) - a.seen)


def test_database_down_validates(farm):
    a = Answers(farm)
    with farm.httpd.tolerate_log_problems():
        farm.pg.stop()
        try:
            a.check("GET", "/jobs/1", 503, "/jobs/{job}")
            a.check("POST", "/jobs/", 503, "/jobs/", json_body={"title": "t", "jobtype": "Blender"})
        finally:
            farm.pg.start()
        for _ in range(DB_RETRIES):
            if farm.client.get(f"{PREFIX}/jobs/1").status == 200:
                break
            time.sleep(0.2)
