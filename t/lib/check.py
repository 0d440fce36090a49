"""Assertions for the integration tests.

    from check import expect, expect_raw_contains

    resp = farm.client.get("/api/v1/jobs/1")
    expect(resp, 200, json={"id": 1, "title": "x", "by": 1.0},
           headers={"Content-Type": "application/json"})
    expect_raw_contains(resp, '"by": 1.0')

JSON is compared strictly: 1, 1.0 and true are three different values, as
they are three different renderings; object key order is not compared (use
expect_raw_contains or body= for exact bytes).  A failure message shows the
request, each mismatch and the whole response (body cut at 2 KB).
"""

import json as _json

BODY_LIMIT = 2048
_MISSING = object()


def expect(resp, status, json=_MISSING, body=_MISSING, headers=None):
    """Assert the exact status, then (when given) the JSON value of the body,
    the exact body (bytes or str), and header values: compared exactly,
    names case-insensitively; repeated fields as one ", "-joined value;
    None means the header must be absent.  Returns `resp`."""
    problems = []
    if resp.status != status:
        problems.append(f"status: expected {status}, got {resp.status}")
    for name, want in (headers or {}).items():
        got = resp.headers.get(name)
        if got != want:
            problems.append(f"header {name}: expected {want!r}, got {got!r}")
    if json is not _MISSING:
        try:
            difference = json_difference(json, resp.json())
        except ValueError as exc:
            difference = f"body is not valid JSON: {exc}"
        if difference:
            problems.append(f"json: {difference}\n  expected json: {_cut(_json.dumps(json))}")
    if body is not _MISSING:
        want = body.encode("utf-8") if isinstance(body, str) else body
        if resp.body != want:
            problems.append(f"body: expected {_cut(repr(want))}")
    if problems:
        raise AssertionError(describe(resp, problems))
    return resp


def expect_raw_contains(resp, text):
    """Assert that the raw body contains `text` (str or bytes) literally,
    e.g. '"by": 1.0' to check how a number is rendered."""
    want = text.encode("utf-8") if isinstance(text, str) else text
    if want not in resp.body:
        raise AssertionError(describe(resp, [f"body does not contain {want!r}"]))
    return resp


def json_difference(want, got, where="$"):
    """The first difference between two JSON values, as text, or None."""
    if type(want) is not type(got):
        return f"at {where}: expected {_show(want)}, got {_show(got)}"
    if isinstance(want, dict):
        missing, extra = sorted(want.keys() - got.keys()), sorted(got.keys() - want.keys())
        if missing or extra:
            return f"at {where}: missing keys {missing}, unexpected keys {extra}"
        for key in want:
            difference = json_difference(want[key], got[key], f"{where}.{key}")
            if difference:
                return difference
    elif isinstance(want, list):
        if len(want) != len(got):
            return f"at {where}: expected {len(want)} items, got {len(got)}"
        for i, (w, g) in enumerate(zip(want, got)):
            difference = json_difference(w, g, f"{where}[{i}]")
            if difference:
                return difference
    elif want != got:
        return f"at {where}: expected {_show(want)}, got {_show(got)}"
    return None


def describe(resp, problems):
    """The failure message: request, mismatches, then the response."""
    lines = [f"{resp.method} {resp.path}"]
    lines += [f"  {p}" for p in problems]
    lines.append(f"  got: {resp.status} {resp.reason}")
    lines += [f"    {name}: {value}" for name, value in resp.headers.items()]
    lines.append(f"    body: {_cut(resp.text)}")
    return "\n".join(lines)


def _show(value):
    return f"{_json.dumps(value)} ({type(value).__name__})"


def _cut(text):
    if len(text) <= BODY_LIMIT:
        return text
    return f"{text[:BODY_LIMIT]}... ({len(text)} characters in all)"


# (query, which of three entries, the next page's query) of a paged list.
THREE_ENTRY_PAGES = (("", slice(0, 3), None), ("limit=2", slice(0, 2), "limit=2&offset=2"),
                     ("offset=1&limit=1", slice(1, 2), "limit=1&offset=2"),
                     ("limit=2&offset=1", slice(1, 3), None), ("limit=3", slice(0, 3), None),
                     ("limit=0", slice(0, 0), None), ("offset=3&limit=1", slice(0, 0), None))


def expect_three_entry_pages(client, path, entries):
    """A paged list (`?limit=&offset=`) of exactly these three entries:
    each page as its query asks, with a Link to the next page while more
    remain and none after the last."""
    assert len(entries) == 3, entries
    for query, part, next_query in THREE_ENTRY_PAGES:
        link = None if next_query is None else f'<{path}?{next_query}>; rel="next"'
        expect(client.get(f"{path}?{query}" if query else path), 200, json=entries[part],
               headers={"Content-Type": "application/json", "Link": link})


def db_time(text):
    """PostgreSQL's timestamp text as the API renders it (doc/api.md §0.6):
    ISO 8601 with a T, microseconds to six digits, none when zero."""
    if text is None:
        return None
    text = text.replace(" ", "T")
    if "." in text:
        seconds, fraction = text.split(".")
        fraction = fraction.ljust(6, "0")
        text = seconds if fraction == "000000" else f"{seconds}.{fraction}"
    return text
