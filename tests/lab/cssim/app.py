"""The simulator: world, contract, settings, jobs, faults and request log, and the API pipeline."""

import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import parse_qsl

from . import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, errors, signing
from .contract import Contract
from .faults import Faults
from .jobs import JobManager
from .params import unpack, validate
from .registry import load_handlers
from .reqlog import RequestLog, is_write, redact
from .seed import load_topology, seed, set_extra_hosts
from .settings import Catalog, global_value, scoped_value
from .store import Store
from .world import World

JSON_TYPE = "application/json;charset=utf-8"
PROXY_PAGES = {
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def header_value(text):
    """``text`` as Jetty writes it into a header (HttpGenerator.putSanitisedValue): CR, LF and every UTF-16 unit
    beyond Latin-1 become a space (two for a character outside the BMP), so the header always encodes; the JSON
    body keeps the exact text."""
    out = []
    for char in text:
        if char in "\r\n" or ord(char) > 0xFF:
            out.append("  " if ord(char) > 0xFFFF else " ")
        else:
            out.append(char)
    return "".join(out)


class Ctx:
    """What a handler sees: the world and helpers, for one API command."""

    def __init__(self, sim, command, fired=()):
        self.sim = sim
        self.command = command
        self.world = sim.world
        self.catalog = sim.catalog
        self.contract = sim.contract
        self.jobs = sim.jobs
        self.fired = list(fired)
        admin = sim.world.by_name("account", "admin")
        self.caller = {"accountid": admin["id"], "userid": sim.user_id, "account": admin}
        self.ms_id = next(iter(sim.world.all("ms")))

    @property
    def version(self):
        return self.world.version

    def setting(self, name, scope=None, entity_id=None):
        store = self.world.settings_store()
        if scope is None:
            return global_value(self.catalog, store, name)
        return scoped_value(self.catalog, store, name, scope, entity_id, self.world)

    def paginate(self, rows, p):
        """BaseListCmd paging: returns (rows of the page, total count)."""
        maximum = int(self.setting("default.page.size") or -1)
        pagesize = p.get("pagesize")
        page = p.get("page")
        if pagesize is not None and maximum > 0 and pagesize > maximum:
            raise errors.invalid_value("Page size can't exceed max allowed page size value: %d" % maximum)
        if pagesize == -1 and page is not None:
            raise errors.invalid_value("Can't specify page parameter when pagesize is -1 (Unlimited)")
        size = pagesize if pagesize is not None else maximum
        total = len(rows)
        if size is None or size < 0:
            return rows, total
        start = size * (page - 1) if page and page > 0 else 0
        return rows[start:start + size], total

    def list_body(self, items, count):
        """ListResponse as CloudStack serializes it: {} when empty, count only past the last page."""
        body = {}
        if count:
            body["count"] = count
        if items:
            body[self.contract.response_object(self.command)] = items
        return body

    def object_body(self, obj):
        return {self.contract.response_object(self.command): obj}

    def submit_job(self, instance_type, instance_id, args=None):
        return self.jobs.submit(self, instance_type, instance_id, args)


class Simulator:
    def __init__(self, state_dir, topology_path, api_key=DEFAULT_API_KEY, secret_key=DEFAULT_SECRET_KEY,
                 extra_hosts=0, contract_path=None):
        self.state_dir = Path(state_dir)
        self.topology_path = Path(topology_path) if topology_path else None
        self.extra_hosts = int(extra_hosts)
        self.keys = {api_key: secret_key}
        self.user_id = None
        self.contract = Contract(contract_path)
        self.commands = load_handlers()
        missing = sorted(name for name in self.commands if not self.contract.has(name))
        if missing:
            raise ValueError("handlers for commands missing from %s: %s" % (self.contract.path, ", ".join(missing)))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if Store(self.state_dir).exists():
            self.world = World.load(self.state_dir)
            if "vms" not in self.world.state:  # a state saved before the lab had user VMs
                self.world.state["vms"] = {}
            if self.world.state.get("extra_hosts", 0) != self.extra_hosts:
                set_extra_hosts(self.world.state, self.extra_hosts)
        else:
            self.world = World(self.state_dir, self._seed())
        # every start of the process is a "boot" of the management server (persisted; tests prove restarts)
        self.world.state["boot"] = int(self.world.state.get("boot", 0)) + 1
        self.world.state["started_at"] = time.time()
        self.catalog = Catalog(self.world.version)
        self.user_id = self._user_id()
        self.jobs = JobManager(self)
        self.faults = Faults()
        self.log = RequestLog(self.state_dir)
        self.world.save()  # start-up compaction: the journal replayed into a new snapshot
        self._ticker_stop = threading.Event()
        self._ticker = None

    def _seed(self):
        if not self.topology_path:
            raise ValueError("no state.json in %s and no topology given" % self.state_dir)
        return seed(load_topology(self.topology_path), self.topology_path, self.extra_hosts)

    def _user_id(self):
        from .world import stable_id
        return stable_id("user", "admin")

    def health(self, url):
        return {"ok": True, "url": url, "version": self.world.version, "boot": self.world.state["boot"],
                "started_at": self.world.state["started_at"], "pid": os.getpid()}

    def context(self, command, fired=()):
        return Ctx(self, command, fired)

    # ----- background job ticker -----

    def start_ticker(self, interval=0.1):
        def run():
            while not self._ticker_stop.wait(interval):
                try:
                    with self.world.lock:
                        self.jobs.tick()
                        self.world.save_if_dirty()
                except Exception:
                    traceback.print_exc(file=sys.stderr)

        self._ticker = threading.Thread(target=run, name="cssim-jobs", daemon=True)
        self._ticker.start()

    def stop(self):
        self._ticker_stop.set()
        if self._ticker:
            self._ticker.join(timeout=2)
        self.world.close()
        self.log.close()

    def reset(self):
        with self.world.lock:
            boot = {k: self.world.state.get(k) for k in ("boot", "started_at")}
            self.world.state = self._seed()
            self.world.state.update(boot)
            self.faults.forget()
            self.world.save()

    # ----- response shaping -----

    def shape(self, command, obj):
        """Drop fields newer than the simulated version; refuse fields the contract does not know."""
        shaped = self.contract.shape(command, obj, self.world.version)
        bad = self.contract.violations(command, shaped)
        if bad:
            raise errors.internal_error(
                "cssim bug: %s answered fields missing from the contract: %s" % (command, ", ".join(bad))
            )
        return shaped

    def _shape_body(self, command, body):
        if command == "queryAsyncJobResult":
            return self.shape(command, body)
        name = self.contract.response_object(command)
        if name not in body:
            return body
        value = body[name]
        if isinstance(value, list):
            body[name] = [self.shape(command, item) for item in value]
        elif isinstance(value, dict):
            body[name] = self.shape(command, value)
        return body

    # ----- the API pipeline -----

    def handle_api(self, method, query, form_body):
        """Returns (status, headers, body bytes); status None: close the connection without an answer (logged
        with status null)."""
        started = time.time()
        pairs = parse_qsl(query or "", keep_blank_values=True) + parse_qsl(form_body or "", keep_blank_values=True)
        command = next((v for k, v in pairs if k == "command"), None)
        fired = self.faults.on_call(command) if command else []
        drop = next((f for f in fired if f["kind"] == "drop_connection"), None)
        if drop and not drop.get("executed"):
            status, headers, body, errortext = None, {}, b"", None
        else:
            status, headers, body, errortext = self._answer(method, pairs, command, fired)
        if drop:  # the server closes the connection without an answer (after running the command if "executed")
            status, errortext = None, "connection dropped (drop_connection injected by the lab)"
        entry = {
            "time": started,
            "method": method,
            "command": command,
            "params": redact(pairs),
            "status": status,
            "write": is_write(command),
            "elapsed": round(time.time() - started, 6),  # seconds the simulator spent, injected latency included
        }
        if errortext:
            entry["error"] = errortext
        self.log.append(entry)
        return status, headers, body

    def _answer(self, method, pairs, command, fired):
        for fault in fired:
            if fault["kind"] == "latency":
                time.sleep(fault["seconds"])
        for fault in fired:
            if fault["kind"] == "http_error":
                return self._proxy_error(fault)
        try:
            body = self._execute(pairs, command, fired)
        except errors.ApiError as exc:
            return self._error(command, exc)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            return self._error(command, errors.ApiError(errors.INTERNAL_ERROR, "cssim internal error: %s" % exc))
        name = self.contract.response_name(command)
        data = json.dumps({name: body}, separators=(",", ":")).encode("utf-8")
        return 200, {"Content-Type": JSON_TYPE}, data, None

    def _execute(self, pairs, command, fired):
        ok, _api_key = signing.verify(pairs, self.keys.get)
        if not command or not ok:
            raise errors.unauthorized()
        handler = self.commands.get(command)
        if handler is None:
            text = "Unknown API command: %s" % command
            if self.contract.has(command):
                text = "cssim does not implement API command %s yet" % command
            raise errors.ApiError(errors.UNSUPPORTED_ACTION_ERROR, text, errors.CS_SERVER_API, "errorresponse")
        response_type = next((v for k, v in pairs if k == "response"), None)
        if response_type != "json":
            raise errors.param_error("cssim answers response=json only (CloudStack would answer XML here)")
        for fault in fired:
            if fault["kind"] == "api_error":
                raise errors.ApiError(
                    fault["errorcode"],
                    fault.get("errortext") or "Simulated failure of %s (api_error injected by the lab)" % command,
                    fault.get("cserrorcode", errors.CS_SERVER_API),
                )
        plain, maps = unpack(pairs)
        with self.world.lock:
            p = validate(command, handler.specs, plain, maps, self.contract, self.world.version, self.world)
            self.jobs.tick()
            ctx = self.context(command, fired)
            body = handler.func(ctx, p)
            body = self._shape_body(command, body)
            self.world.save_if_dirty()
        return body

    def _error(self, command, exc):
        name = exc.response_name
        if name is None:
            name = self.contract.response_name(command) if command and self.contract.has(command) else None
            if name is None and command in self.commands:
                name = command.lower() + "response"
            name = name or "errorresponse"
        data = json.dumps({name: exc.body()}, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": JSON_TYPE}
        if exc.errorcode != errors.UNAUTHORIZED:
            headers["X-Description"] = header_value(exc.errortext)[:1000]
        return exc.errorcode, headers, data, exc.errortext

    @staticmethod
    def _proxy_error(fault):
        status = fault["status"]
        reason = PROXY_PAGES.get(status, "Error")
        body = fault.get("body") or (
            "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" % (status, reason, status, reason)
        )
        return status, {"Content-Type": "text/html"}, body.encode("utf-8"), "http_error %d injected by the lab" % status
