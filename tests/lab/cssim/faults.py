"""Fault injection driven by the control API.

Kinds (``command`` may be "*" for every command):
  latency     {"command", "seconds", "nth"?}        sleep before answering
  http_error  {"command", "status", "nth"?, "body"?} a non-CloudStack answer, as a proxy would give
  api_error   {"command", "errorcode", "nth"?, "errortext"?, "cserrorcode"?}  CloudStack's error envelope
  job_fail    {"command", "nth"?, "errortext"?, "errorcode"?}  the async job fails when it completes
  job_hang    {"command", "nth"?}                   the async job never completes
  host_state  {"host", "state", "resourcestate"?}   set a host's state now (undone by clearing faults)
  template_fail {"name", "status"?, "zone"?, "at"?}  the download of template ``name`` (in zone ``zone``, a
              name or id; default every zone) fails with ``status`` (default: a checksum failure text) at
              "end" (default, after the download) or "start"; applies to downloads in progress now and to
              registrations while the fault is set. Clearing faults does not undo a failed download.

  drop_connection {"command", "nth"?, "executed"?}  the server closes the connection without an answer; with
              "executed": true the command runs first (its effect stays), else it is not run at all
  maintenance_stuck {"host"}                          (name or id) the host's maintenance drain makes no progress:
              it stays in PrepareForMaintenance until the fault is cleared
  vm_stuck    {"vm"}                                  (name, instance name or id of a user VM, router or system VM)
              its migration during a maintenance drain fails: the host ends in ErrorInMaintenance
  vm_state    {"vm", "state"}                         set a VM's state now (name, instance name or id of a user VM,
              router or system VM; Stopped also clears its host), undone by clearing faults
  host_down_after_maintenance {"host"}                when the host's maintenance is cancelled its agent becomes
              Disconnected and stays so until faults are cleared (then Up again)

job_fail and job_hang on upgradeRouterTemplate may name a ``router`` (name or id): only that router's reboot
job fails/hangs; without it every job of the call does.

``nth`` counts calls of the command from when the fault was added (1 = the next call); the fault then
fires on that call only. Without ``nth`` it fires on every call.
"""

import threading
import time

from . import templates

CALL_KINDS = ("latency", "http_error", "api_error", "job_fail", "job_hang", "drop_connection")
HOST_KINDS = ("maintenance_stuck", "host_down_after_maintenance")
KINDS = CALL_KINDS + ("host_state", "template_fail", "vm_stuck", "vm_state") + HOST_KINDS
VM_STATES = ("Running", "Stopped", "Starting", "Stopping", "Migrating", "Error", "Unknown")
HOST_STATES = ("Up", "Down", "Disconnected", "Alert", "Connecting", "Error", "Rebalancing", "Removed")
RESOURCE_STATES = ("Enabled", "Disabled", "PrepareForMaintenance", "Maintenance", "ErrorInMaintenance",
                   "ErrorInPrepareForMaintenance", "Error", "Unmanaged")


class FaultError(ValueError):
    pass


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []
        self.next_id = 1
        self.saved_hosts = {}  # host id -> (state, resourcestate) before the first host_state fault
        self.downed_hosts = {}  # host id -> (state, disconnected) before host_down_after_maintenance took it down
        self.saved_vms = {}  # vm id -> (state, hostid) before the first vm_state fault

    def list(self):
        with self.lock:
            return [dict(f) for f in self.items]

    def add(self, spec, world):
        if not isinstance(spec, dict):
            raise FaultError("a fault is a JSON object")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultError("unknown fault kind %r; one of %s" % (kind, ", ".join(KINDS)))
        fault = dict(spec)
        if kind in CALL_KINDS:
            if not isinstance(fault.get("command"), str) or not fault["command"]:
                raise FaultError("%s needs a command" % kind)
            if fault.get("nth") is not None:
                fault["nth"] = int(fault["nth"])
                if fault["nth"] < 1:
                    raise FaultError("nth starts at 1")
            if kind == "latency":
                fault["seconds"] = float(fault.get("seconds", 1.0))
            if kind == "http_error":
                fault["status"] = int(fault.get("status", 503))
            if kind == "api_error":
                fault["errorcode"] = int(fault.get("errorcode", 530))
            if kind == "drop_connection":
                if not isinstance(fault.setdefault("executed", False), bool):
                    raise FaultError("drop_connection: executed is true or false")
            fault["calls"] = 0
        elif kind == "template_fail":
            self._apply_template_fail(fault, world)
        elif kind in HOST_KINDS:
            host = world.by_name("host", fault.get("host")) or world.get("host", fault.get("host"))
            if host is None or host["type"] != "Routing":
                raise FaultError("%s needs a Routing host (name or id), not %r" % (kind, fault.get("host")))
        elif kind == "vm_state":
            self._apply_vm_state(fault, world)
        elif kind == "vm_stuck":
            if not _find_vm(world, fault.get("vm")):
                raise FaultError("vm_stuck needs a VM (name, instance name or id), not %r" % fault.get("vm"))
        else:
            self._apply_host_state(fault, world)
        with self.lock:
            fault["id"] = self.next_id
            self.next_id += 1
            self.items.append(fault)
        return dict(fault)

    def _apply_host_state(self, fault, world):
        host = world.by_name("host", fault.get("host"))
        if host is None:
            raise FaultError("no host named %r" % fault.get("host"))
        state = fault.get("state")
        rstate = fault.get("resourcestate")
        if state is None and rstate is None:
            raise FaultError("host_state needs state and/or resourcestate")
        if state is not None and state not in HOST_STATES:
            raise FaultError("state must be one of %s" % ", ".join(HOST_STATES))
        if rstate is not None and rstate not in RESOURCE_STATES:
            raise FaultError("resourcestate must be one of %s" % ", ".join(RESOURCE_STATES))
        with world.lock:
            self.saved_hosts.setdefault(host["id"], (host["state"], host["resourcestate"], host.get("disconnected")))
            if state is not None:
                host["state"] = state
                if state != "Up":
                    host["disconnected"] = time.time()
            if rstate is not None:
                host["resourcestate"] = rstate

    def _apply_template_fail(self, fault, world):
        if not isinstance(fault.get("name"), str) or not fault["name"]:
            raise FaultError("template_fail needs the template's name")
        if fault.setdefault("at", "end") not in ("start", "end"):
            raise FaultError('template_fail "at" is "start" or "end"')
        if fault.get("zone") is not None:
            zone = world.by_name("zone", fault["zone"]) or world.get("zone", fault["zone"])
            if zone is None:
                raise FaultError("no zone %r" % fault["zone"])
            fault["zoneid"] = zone["id"]
        with world.lock:
            for tpl in world.all("template").values():
                if tpl["name"] != fault["name"]:
                    continue
                for zone_id in templates.downloading(tpl):
                    if fault.get("zoneid") in (None, zone_id):
                        templates.fail_download(tpl, zone_id, self.template_status(fault, tpl), fault["at"])

    @staticmethod
    def template_status(fault, tpl):
        return fault.get("status") or templates.checksum_status(tpl.get("url"), tpl.get("checksum"))

    def template_failure(self, name, zone_id):
        """The template_fail fault set for a template name and zone, or None."""
        with self.lock:
            for fault in self.items:
                if fault["kind"] == "template_fail" and fault["name"] == name \
                        and fault.get("zoneid") in (None, zone_id):
                    return dict(fault)
        return None

    def _apply_vm_state(self, fault, world):
        vm = _find_vm(world, fault.get("vm"))
        if vm is None:
            raise FaultError("vm_state needs a VM (name, instance name or id), not %r" % fault.get("vm"))
        if fault.get("state") not in VM_STATES:
            raise FaultError("vm_state: state must be one of %s" % ", ".join(VM_STATES))
        with world.lock:
            with self.lock:
                self.saved_vms.setdefault(vm["id"], (vm["state"], vm.get("hostid")))
            vm["state"] = fault["state"]
            if fault["state"] == "Stopped":
                vm["hostid"] = None

    def host_down(self, world, host, now):
        """host_down_after_maintenance fired: the host's agent is Disconnected until faults are cleared."""
        with self.lock:
            self.downed_hosts.setdefault(host["id"], (host["state"], host.get("disconnected")))
        host["state"] = "Disconnected"
        host["disconnected"] = now

    def clear(self, world):
        with self.lock:
            count = len(self.items)
            self.items = []
            saved, self.saved_hosts = self.saved_hosts, {}
            downed, self.downed_hosts = self.downed_hosts, {}
            vms, self.saved_vms = self.saved_vms, {}
        with world.lock:
            for vm_id, (state, hostid) in vms.items():
                vm = _find_vm(world, vm_id)
                if vm:
                    vm["state"], vm["hostid"] = state, hostid
            for host_id, (state, disconnected) in downed.items():
                host = world.get("host", host_id)
                if host:
                    host["state"] = state
                    if disconnected is None:
                        host.pop("disconnected", None)
                    else:
                        host["disconnected"] = disconnected
            for host_id, (state, rstate, disconnected) in saved.items():
                host = world.get("host", host_id)
                if host:
                    host["state"], host["resourcestate"] = state, rstate
                    if disconnected is None:
                        host.pop("disconnected", None)
                    else:
                        host["disconnected"] = disconnected
        return count

    def forget(self):
        """Drop faults without touching hosts (after a reseed)."""
        with self.lock:
            self.items = []
            self.saved_hosts = {}
            self.downed_hosts = {}
            self.saved_vms = {}

    def matching(self, kind, **fields):
        """Faults of ``kind`` whose fields match: each value is a collection of accepted values."""
        with self.lock:
            return [dict(f) for f in self.items
                    if f["kind"] == kind and all(f.get(k) in values for k, values in fields.items())]

    def on_call(self, command):
        """Count a call of ``command``; return the faults that fire on it."""
        fired = []
        with self.lock:
            for fault in self.items:
                if fault["kind"] not in CALL_KINDS:
                    continue
                if fault["command"] not in ("*", command):
                    continue
                fault["calls"] += 1
                if fault.get("nth") is None or fault["calls"] == fault["nth"]:
                    fired.append(dict(fault))
        return fired


def _find_vm(world, ref):
    if not isinstance(ref, str) or not ref:
        return None
    for kind in ("vm", "router", "systemvm"):
        for vm in world.all(kind).values():
            if ref in (vm["id"], vm["name"], vm.get("instancename")):
                return vm
    return None
