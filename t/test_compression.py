"""Compression as conf/pyfarm_jobs.conf ships it: mod_deflate's
AddOutputFilterByType DEFLATE application/json in the API's <Location>,
taken from that file as it stands and run in a second httpd over the
test database.  Agents send Accept-Encoding: gzip; the task list of a
100,000-task job, which the module streams page by page, goes out
gzip-compressed, unpacks to exactly the bytes a client that does not ask
gets, and is a small part of their size; a client that does not ask gets
those bytes as they are."""

import gzip
import time

from check import expect
from farm import APACHE_MODDIR, Client
import shipped

TASKS = 100000
GZIP = {"Accept-Encoding": "gzip"}
JSON_TYPE = "application/json"


def deflating_httpd(farm):
    # what a2enmod deflate enables (AddOutputFilterByType is mod_filter's)
    conf = (f"LoadModule filter_module {APACHE_MODDIR}/mod_filter.so\n"
            f"LoadModule deflate_module {APACHE_MODDIR}/mod_deflate.so\n"
            "<Location /api/v1/jobs>\n"
            f"{shipped.section('<IfModule deflate_module>')}\n"
            "</Location>")
    return farm.other_httpd("httpd-deflate", extra_conf=conf)


def test_a_100000_task_list_goes_out_gzip_compressed(farm):
    job = farm.add_job("Compressed", f"SELECT g, NULL::integer, g FROM generate_series(1, {TASKS}) g")
    path = f"/api/v1/jobs/{job}/tasks/"
    httpd = deflating_httpd(farm)
    try:
        httpd.start()
        client = Client(httpd.port)
        started = time.monotonic()
        packed = expect(client.get(path, headers=GZIP), 200,
                        headers={"Content-Type": JSON_TYPE, "Content-Encoding": "gzip",
                                 "Vary": "Accept-Encoding"})
        took = time.monotonic() - started
        # http.client asks for identity unless told otherwise
        started = time.monotonic()
        plain = expect(client.get(path), 200,
                       headers={"Content-Type": JSON_TYPE, "Content-Encoding": None})
        took_plain = time.monotonic() - started
        client.close()
    finally:
        httpd.stop()
    assert not httpd.error_log_problems(), httpd.error_log_problems()
    # exactly what the module answers without mod_deflate
    expect(farm.client.get(path), 200, body=plain.body)
    assert len(plain.json()) == TASKS
    assert gzip.decompress(packed.body) == plain.body
    ratio = len(plain.body) / len(packed.body)
    print(f"# {TASKS} tasks: {len(plain.body)} bytes, {len(packed.body)} gzipped "
          f"({ratio:.0f}x smaller) in {took:.2f} s, {took_plain:.2f} s without")
    assert ratio > 10, ratio


def test_a_small_answer_is_compressed_too(farm):
    httpd = deflating_httpd(farm)
    try:
        httpd.start()
        client = Client(httpd.port)
        packed = expect(client.get("/api/v1/jobs/1", headers=GZIP), 200,
                        headers={"Content-Encoding": "gzip"})
        plain = expect(client.get("/api/v1/jobs/1"), 200, headers={"Content-Encoding": None})
        client.close()
    finally:
        httpd.stop()
    assert gzip.decompress(packed.body) == plain.body
    expect(farm.client.get("/api/v1/jobs/1"), 200, body=plain.body)
