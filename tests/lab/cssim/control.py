"""Client for the simulator's unsigned control API (tests and labctl use it). Standard library only."""

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from . import API_PATH


class ControlError(RuntimeError):
    def __init__(self, status, message):
        super().__init__("control API answered %s: %s" % (status, message))
        self.status = status


class LabControl:
    """``LabControl("http://127.0.0.1:8080")``; the API URL (.../client/api) or the control URL (.../lab) work too."""

    def __init__(self, base_url, timeout=10):
        parts = urlsplit(base_url)
        path = parts.path.rstrip("/")
        for suffix in (API_PATH, "/lab"):
            if path.endswith(suffix):
                path = path[: -len(suffix)]
        self.base = "%s://%s%s" % (parts.scheme, parts.netloc, path.rstrip("/"))
        self.timeout = timeout

    def _call(self, method, path, payload=None, query=None):
        url = self.base + path + ("?" + urlencode(query) if query else "")
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            try:
                body = json.loads(body).get("error", body)
            except ValueError:
                pass
            raise ControlError(exc.code, body) from None

    # ----- request log -----

    def mark(self):
        """Index the next API request will get; pass it to requests()/write_calls() later."""
        return self._call("GET", "/lab/requests/mark")["mark"]

    def requests(self, since=0, command=None):
        """Logged API requests with index >= since: {index, time, method, command, params, status, write}."""
        query = {"since": int(since)}
        if command:
            query["command"] = command
        return self._call("GET", "/lab/requests", query=query)

    def write_calls(self, since=0):
        """Logged requests that change something (everything but list*, query*, get*HealthCheck*)."""
        return [entry for entry in self.requests(since) if entry["write"]]

    # ----- faults -----

    def add_fault(self, kind=None, **fields):
        """add_fault("http_error", command="listZones", status=503, nth=2) or add_fault({"kind": ...})."""
        spec = dict(kind) if isinstance(kind, dict) else dict(fields, kind=kind)
        if isinstance(kind, dict):
            spec.update(fields)
        return self._call("POST", "/lab/faults", spec)

    def faults(self):
        return self._call("GET", "/lab/faults")

    def clear_faults(self):
        return self._call("DELETE", "/lab/faults")["cleared"]

    # ----- jobs, state -----

    def fail_template(self, name, status=None, zone=None, at="end"):
        """Make template ``name``'s download fail (in ``zone``, a name or id, else everywhere) with ``status``
        (default: a checksum failure text), now for downloads in progress and for later registrations."""
        spec = {"kind": "template_fail", "name": name, "at": at}
        if status is not None:
            spec["status"] = status
        if zone is not None:
            spec["zone"] = zone
        return self.add_fault(spec)

    def set_job_durations(self, durations=None, **by_command):
        """set_job_durations({"stopSystemVm": 0.2}) or set_job_durations(stopSystemVm=0.2).

        Besides async commands: "upgradeRouterTemplate" (each router reboot job it submits), "templateDownload"
        (a registered template's download per zone), "systemVmRecreate" (destroyed SSVM/CPVM -> replacement) and
        "vmMigration" (each VM of a host maintenance drain: seconds it spends Migrating).
        """
        mapping = dict(durations or {}, **by_command)
        return self._call("POST", "/lab/jobs/durations", mapping)

    def job_durations(self):
        return self._call("GET", "/lab/jobs/durations")

    def jobs(self):
        return self._call("GET", "/lab/jobs")

    def reset(self):
        """Reseed the world from the topology (the request log is kept)."""
        return self._call("POST", "/lab/reset")

    def state(self):
        """The whole simulator state (as saved in state.json)."""
        return self._call("GET", "/lab/state")

    def ca(self):
        """{certificate, issued}: the CA's certificate (None before its first use) and every certificate it
        issued ({serial, subject, sans, notbefore, notafter, issued, hostid, certificate[, reconnect]})."""
        return self._call("GET", "/lab/ca")

    def health(self):
        """{ok, url, version, boot, started_at, pid}: ``boot`` counts starts of the simulator (persisted)."""
        return self._call("GET", "/lab/health")

    def wait_healthy(self, timeout=60, min_boot=None, interval=0.1):
        """Poll /lab/health until the simulator answers (with ``min_boot``: reports at least that boot).

        Returns the health answer; raises TimeoutError. Use it after a management-server restart."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                health = self.health()
                if min_boot is None or health["boot"] >= min_boot:
                    return health
            except (OSError, ControlError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("simulator at %s did not answer within %ss" % (self.base, timeout))
            time.sleep(interval)
