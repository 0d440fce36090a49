"""The move from pyfarm-master (README "Moving from pyfarm-master"), as
conf/pyfarm_jobs.conf ships it: the module serves /api/v1/jobs while
mod_proxy sends the rest of /api/v1 to pyfarm-master in the same virtual
host (ProxyPass /api/v1/jobs ! before ProxyPass /api/v1 ...).  The
commented example is taken from that file as it stands, pyfarm-master's
address replaced by that of a small backend standing in for it, whose
answers say that it served them.  Then the switch back, as the file says:
the "!" line commented out, and pyfarm-master serves everything again."""

import http.server
import json
import threading

from check import expect
from farm import APACHE_MODDIR, Client
import shipped

SHIPPED_MASTER = "http://127.0.0.1:5000"
MODULES = "\n".join(f"LoadModule {name}_module {APACHE_MODDIR}/mod_{name}.so"
                    for name in ("proxy", "proxy_http"))
JSON_TYPE = "application/json"


class StandIn(http.server.BaseHTTPRequestHandler):
    """pyfarm-master's other routes: every request is answered 200 with
    what it was, served_by saying who answered."""

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"served_by": "pyfarm-master", "method": self.command,
                           "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args):
        pass


def by_master(method, path):
    return {"served_by": "pyfarm-master", "method": method, "path": path}


def migration_conf(master_url, switched_back=False):
    block = shipped.commented_block("ProxyPass        /api/v1/jobs !")
    assert SHIPPED_MASTER in block, block
    lines = block.replace(SHIPPED_MASTER, master_url).splitlines()
    if switched_back:
        lines = [line for line in lines if not line.endswith(" !")]
    return MODULES + "\n" + "\n".join(lines)


def run_master():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_jobs_by_the_module_the_rest_by_pyfarm_master_then_back(farm):
    master = run_master()
    url = f"http://127.0.0.1:{master.server_address[1]}"
    httpd = farm.other_httpd("httpd-migration", extra_conf=migration_conf(url))
    try:
        httpd.start()
        client = Client(httpd.port)
        # the module's, exactly as the farm's own httpd answers
        for path in ("/api/v1/jobs/", "/api/v1/jobs/1", "/api/v1/jobs/1/tasks/",
                     "/api/v1/jobs/schema"):
            expect(client.get(path), 200, body=farm.client.get(path).body,
                   headers={"Content-Type": JSON_TYPE})
        expect(client.get("/api/v1/jobs"), 308,
               headers={"Location": f"http://127.0.0.1:{httpd.port}/api/v1/jobs/"})
        # pyfarm-master's: the other routes of /api/v1, and a path that only
        # begins like the API's (both match whole path segments)
        for method, path in (("GET", "/api/v1/agents/"), ("POST", "/api/v1/agents/"),
                             ("GET", "/api/v1/jobtypes/Blender"),
                             ("DELETE", "/api/v1/jobqueues/3"), ("GET", "/api/v1/"),
                             ("GET", "/api/v1/jobsX"), ("GET", "/api/v1/jobs_archive/1")):
            expect(client.request(method, path, json={}), 200, json=by_master(method, path))
        # outside /api/v1 neither
        expect(client.get("/api/v2/jobs/"), 404)
        client.close()
        httpd.stop()

        # switched back: the "!" line commented out
        httpd.extra_conf = migration_conf(url, switched_back=True)
        httpd.start()
        client = Client(httpd.port)
        for path in ("/api/v1/jobs/", "/api/v1/jobs/1", "/api/v1/agents/"):
            expect(client.get(path), 200, json=by_master("GET", path))
        expect(client.post("/api/v1/jobs/1/tasks/2", json={"state": "done"}), 200,
               json=by_master("POST", "/api/v1/jobs/1/tasks/2"))
        client.close()
    finally:
        httpd.stop()
        master.shutdown()
        master.server_close()
    assert not httpd.error_log_problems(), httpd.error_log_problems()
