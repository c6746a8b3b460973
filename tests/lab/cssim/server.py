"""HTTP front end: /client/api (GET and form POST) and the unsigned /lab/ control API."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import API_PATH, ca, diagnostics, rolling
from .faults import FaultError

MAX_BODY = 8 * 1024 * 1024


class Server(ThreadingHTTPServer):
    """One thread per connection; handlers share the world under its lock (app.py)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many clients connecting at once (a pool of job waiters) are not turned away

    def __init__(self, address, sim, verbose=False):
        super().__init__(address, RequestHandler)
        self.sim = sim
        self.verbose = verbose

    @property
    def url(self):
        host, port = self.server_address[:2]
        return "http://%s:%d%s" % (host, port, API_PATH)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body leave in two writes: with Nagle's algorithm on, the body waits for the client's delayed
    # ACK (about 40 ms on Linux) on every kept-alive connection
    disable_nagle_algorithm = True
    server_version = "cssim"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("cssim: %s\n" % (fmt % args))

    # ----- plumbing -----

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status, obj):
        self._send(status, {"Content-Type": "application/json"}, json.dumps(obj, indent=1).encode("utf-8"))

    def _route(self, method):
        url = urlsplit(self.path)
        try:
            raw = self._body() if method in ("POST", "PUT", "DELETE") else b""
        except ValueError as exc:
            self._json(413, {"error": str(exc)})
            return
        if url.path == API_PATH:
            if method not in ("GET", "POST"):
                self._json(405, {"error": "use GET or POST"})
                return
            form = ""
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if method == "POST" and ctype in ("", "application/x-www-form-urlencoded"):
                form = raw.decode("utf-8", "replace")
            status, headers, body = self.server.sim.handle_api(method, url.query, form)
            if status is None:  # drop_connection fault: close without an answer
                self.close_connection = True
                return
            self._send(status, headers, body)
        elif url.path.startswith("/lab/"):
            self._control(method, url, raw)
        else:
            self._json(404, {"error": "not found: %s (the API is at %s)" % (url.path, API_PATH)})

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_DELETE(self):
        self._route("DELETE")

    # ----- control API -----

    def _control(self, method, url, raw):
        sim = self.server.sim
        path = url.path.rstrip("/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            payload = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except ValueError:
            self._json(400, {"error": "body is not JSON"})
            return
        try:
            if path == "/lab/requests" and method == "GET":
                entries = sim.log.since(int(query.get("since", 0)))
                if "command" in query:
                    entries = [e for e in entries if e["command"] == query["command"]]
                return self._json(200, entries)
            if path == "/lab/requests/mark" and method == "GET":
                return self._json(200, {"mark": sim.log.next_index()})
            if path == "/lab/faults":
                if method == "POST":
                    fault = sim.faults.add(payload, sim.world)
                    sim.world.save_if_dirty()
                    return self._json(200, fault)
                if method == "DELETE":
                    cleared = sim.faults.clear(sim.world)
                    sim.world.save_if_dirty()
                    return self._json(200, {"cleared": cleared})
                if method == "GET":
                    return self._json(200, sim.faults.list())
            if path == "/lab/jobs/durations":
                with sim.world.lock:
                    if method == "POST":
                        if not isinstance(payload, dict):
                            raise FaultError("durations are a JSON object {command: seconds}")
                        sim.jobs.set_durations(payload)
                        sim.world.save_if_dirty()
                    if method in ("GET", "POST"):
                        return self._json(200, sim.jobs.durations())
            if path == "/lab/jobs" and method == "GET":
                with sim.world.lock:
                    return self._json(200, list(sim.world.state["jobs"].values()))
            if path == "/lab/reset" and method == "POST":
                sim.reset()
                return self._json(200, {"reset": True})
            if path == "/lab/state" and method == "GET":
                with sim.world.lock:
                    sim.jobs.tick()
                    sim.world.save_if_dirty()
                    data = json.dumps(sim.world.state).encode("utf-8")
                return self._send(200, {"Content-Type": "application/json"}, data)
            if path == "/lab/ca" and method == "GET":
                with sim.world.lock:
                    sim.jobs.tick()
                    sim.world.save_if_dirty()
                    return self._json(200, ca.summary(sim.world))
            if path == "/lab/diagnostics":  # the diagnostics URL switch (cssim/diagnostics.py)
                return self._json(200, diagnostics.control(sim, method, payload))
            if path.startswith("/lab/rolling/"):  # stage results, timing and log of rolling maintenance
                answer = rolling.control(sim, method, path, payload)
                if answer is not None:
                    with sim.world.lock:
                        sim.world.save_if_dirty()
                    return self._json(*answer)
            if path == "/lab/health" and method == "GET":
                with sim.world.lock:
                    return self._json(200, sim.health(self.server.url))
        except (FaultError, ValueError, TypeError) as exc:
            return self._json(400, {"error": str(exc)})
        self._json(404, {"error": "no control endpoint %s %s" % (method, url.path)})
