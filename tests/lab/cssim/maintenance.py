"""Host maintenance as CloudStack's ResourceManagerImpl runs it, and the capacity figures that follow the VMs.

The state machine (ResourceState): ``prepare`` moves an Up host from Enabled (or ErrorInMaintenance) to
PrepareForMaintenance and starts a drain; the drain runs on the job ticker (``tick``), one VM at a time: the VM
is Migrating for ``vmMigration`` seconds (a job duration, ``POST /lab/jobs/durations``), then Running on another
host of the same cluster that is Up + Enabled and has room for it (each VM checked alone; the cluster's allocation
state does not matter). When every VM has gone the host is in Maintenance; a VM that could not move (no host with
room, or the ``vm_stuck`` fault) puts it in ErrorInPrepareForMaintenance while other VMs are still to go (as
attemptMaintain does: failures with work pending) and leaves it in ErrorInMaintenance with that VM still on it.
On the last Up host of a cluster there is nowhere to go: user VMs and routers are stopped, SSVM/CPVM destroyed
(and recreated elsewhere by lifecycle.py), as CloudStack's handleVmForLastHostOrWithVGpu does. ``cancel``
returns a host from any maintenance state to Enabled and stops its drain.

Every function takes the world lock itself (an RLock: calling from a handler or job hook is fine); the caller's
pipeline (API request or job ticker) journals the change. ``ctx_or_world`` is a handler context, the Simulator
or the World; faults (``maintenance_stuck``, ``vm_stuck``, ``host_down_after_maintenance``) apply when it leads
to the simulator.
"""

import json
import time

from . import errors, lifecycle
from .seed import SYSTEM_SIZES
from .world import stable_id

MAINTENANCE_STATES = ("PrepareForMaintenance", "ErrorInPrepareForMaintenance", "ErrorInMaintenance", "Maintenance")
# ResourceState.canAttemptMaintenance is false for these
NO_NEW_ATTEMPT = ("Maintenance", "PrepareForMaintenance", "ErrorInPrepareForMaintenance")
# VM states that count against a host's capacity (CloudStack allocates for everything not Stopped/Destroyed)
ALLOCATED_STATES = ("Running", "Starting", "Stopping", "Migrating", "Error", "Unknown")
TRANSITIONAL_STATES = ("Starting", "Stopping", "Migrating", "Error", "Unknown")
MIGRATION_KEY = "vmMigration"  # job duration key: seconds each VM of a drain spends Migrating
DEFAULT_MIGRATION_SECONDS = 1.0
VM_KINDS = ("vm", "router", "systemvm")  # drain order: user VMs, routers, system VMs
MIB = 1024**2


# ----- helpers -----

def _world(ctx_or_world):
    return getattr(ctx_or_world, "world", ctx_or_world)


def _faults(ctx_or_world):
    sim = getattr(ctx_or_world, "sim", ctx_or_world)
    return getattr(sim, "faults", None)


def _fault(ctx_or_world, kind, **match):
    """The first fault of ``kind`` whose fields are among ``match``'s values (names or ids), or None."""
    faults = _faults(ctx_or_world)
    found = faults.matching(kind, **match) if faults is not None else []
    return found[0] if found else None


def _internal(text):
    return errors.ApiError(errors.INTERNAL_ERROR, text, errors.CS_CLOUD_RUNTIME)


def _dbid(world, kind, entity_id):
    ids = list(world.all(kind))
    return ids.index(entity_id) + 1 if entity_id in ids else 0


def host_text(world, host):
    """HostVO.toString as CloudStack 4.20 logs and reports it."""
    return "Host %s" % json.dumps({"id": _dbid(world, "host", host["id"]), "name": host["name"],
                                   "type": host["type"], "uuid": host["id"]}, separators=(",", ":"))


def cluster_text(world, cluster):
    return "Cluster %s" % json.dumps({"id": _dbid(world, "cluster", cluster["id"]), "name": cluster["name"],
                                      "uuid": cluster["id"]}, separators=(",", ":"))


def vm_text(world, kind, vm):
    vmtype = {"vm": "User", "router": "DomainRouter"}.get(kind) or (
        "SecondaryStorageVm" if vm.get("systemvmtype") == "secondarystoragevm" else "ConsoleProxy")
    return "VM instance %s" % json.dumps({"id": _dbid(world, kind, vm["id"]), "instanceName": instance_name(vm),
                                          "name": vm["name"], "type": vmtype, "uuid": vm["id"]},
                                         separators=(",", ":"))


def instance_name(vm):
    return vm.get("instancename") or vm["name"]


def vm_size(world, kind, vm):
    """(cpunumber, cpuspeed MHz, memory MiB) of a user VM, router or system VM."""
    if kind == "vm":
        return int(vm["cpunumber"]), int(vm["cpuspeed"]), int(vm["memory"])
    offering = world.get("serviceoffering", vm.get("serviceofferingid")) or {}
    if "cpunumber" in offering:
        return int(offering["cpunumber"]), int(offering["cpuspeed"]), int(offering["memory"])
    key = "router" if kind == "router" else vm.get("systemvmtype")
    return SYSTEM_SIZES.get(key, (1, 500, 256))


def vms_on(world, host_id, states=ALLOCATED_STATES):
    """[(kind, vm)] on ``host_id`` in ``states``: user VMs, then routers, then system VMs."""
    out = []
    for kind in VM_KINDS:
        for vm in world.all(kind).values():
            if vm.get("hostid") == host_id and vm["state"] in states:
                out.append((kind, vm))
    return out


def ratios(world, cluster_id):
    """(cpu, memory) overcommit ratios of a cluster: its cluster-scope overprovisioning settings."""
    store = world.settings_store()
    scoped = store.get("cluster", {}).get(cluster_id, {})
    glob = store.get("global", {})
    cpu = scoped.get("cpu.overprovisioning.factor") or glob.get("cpu.overprovisioning.factor") or "1.0"
    mem = scoped.get("mem.overprovisioning.factor") or glob.get("mem.overprovisioning.factor") or "1.0"
    return float(cpu), float(mem)


def allocated(world, host_id):
    """(cpu MHz, memory bytes) allocated on a host by the VMs on it (user VMs, routers, system VMs)."""
    cpu = mem = 0
    for kind, vm in vms_on(world, host_id):
        number, speed, memory = vm_size(world, kind, vm)
        cpu += number * speed
        mem += memory * MIB
    return cpu, mem


def capacity(world, host):
    """Capacity figures of a Routing host: total, with overprovisioning, allocated (CPU MHz, memory bytes)."""
    cpu_ratio, mem_ratio = ratios(world, host.get("clusterid"))
    cpu_total = host["cpunumber"] * host["cpuspeed"]
    cpu_used, mem_used = allocated(world, host["id"])
    return {"cpu_total": cpu_total, "cpu_with_overprovisioning": cpu_total * cpu_ratio, "cpu_allocated": cpu_used,
            "memory_total": host["memorytotal"], "memory_with_overprovisioning": host["memorytotal"] * mem_ratio,
            "memory_allocated": mem_used}


def has_room(world, host, kind, vm):
    """CapacityManager.checkIfHostHasCapacity for one VM alone (no reserved capacity)."""
    number, speed, memory = vm_size(world, kind, vm)
    cap = capacity(world, host)
    return (speed <= host["cpuspeed"] and number <= host["cpunumber"]
            and cap["cpu_allocated"] + number * speed <= cap["cpu_with_overprovisioning"]
            and cap["memory_allocated"] + memory * MIB <= cap["memory_with_overprovisioning"])


def usable(host):
    return host is not None and host["type"] == "Routing" and host["state"] == "Up" \
        and host["resourcestate"] == "Enabled"


def other_hosts(world, host):
    """The other Up + Enabled Routing hosts of the host's cluster."""
    return [h for h in world.all("host").values()
            if h["id"] != host["id"] and h.get("clusterid") == host.get("clusterid") and usable(h)]


def _host(world, host_id):
    host = world.get("host", host_id)
    if host is None:
        raise errors.invalid_value("Unable to find host with ID: %s. Please specify a valid host ID." % host_id)
    return host


def _migration_seconds(world):
    configured = world.state.get("job_durations", {})
    return float(configured.get(MIGRATION_KEY, DEFAULT_MIGRATION_SECONDS))


# ----- the public interface -----

def state(world, host_id):
    """The host's resourcestate (Enabled, Disabled, PrepareForMaintenance, ErrorInPrepareForMaintenance,
    ErrorInMaintenance, Maintenance, ...). Raises the 431 CloudStack gives for an unknown host."""
    world = _world(world)
    with world.lock:
        return _host(world, host_id)["resourcestate"]


def capacity_problems(world, host_id):
    """RollingMaintenanceManagerImpl's capacity check before a host enters maintenance, as a list of strings
    (empty: the host can go). Each VM on the host is checked alone against the other Up + Enabled hosts of the
    cluster (CPU and memory with the cluster's overcommit ratios), as CloudStack does; CloudStack stops at the
    first problem, this lists every VM that cannot move (the first string is CloudStack's text)."""
    world = _world(world)
    with world.lock:
        host = _host(world, host_id)
        cluster = world.get("cluster", host.get("clusterid"))
        others = other_hosts(world, host)
        if not others:
            return ["No host available in cluster %s (%s) to support host %s (%s) in maintenance"
                    % (cluster["id"], cluster["name"], host["id"], host["name"])]
        problems = []
        for kind, vm in vms_on(world, host["id"]):
            if not any(has_room(world, other, kind, vm) for other in others):
                problems.append("%s cannot be migrated away from %s to any other host in the cluster"
                                % (vm_text(world, kind, vm), host_text(world, host)))
        return problems


def check(ctx_or_world, host_id):
    """The checks of ResourceManagerImpl.maintain(PrepareForMaintenanceCmd), without changing anything: raises
    the ApiError (530, CloudStack's text without the command's "Failed to prepare host for maintenance due to: "
    prefix) that the host would get now."""
    world = _world(ctx_or_world)
    with world.lock:
        host = _host(world, host_id)
        if host["resourcestate"] in NO_NEW_ATTEMPT:
            raise _internal("Host is already in state %s. Cannot recall for maintenance until resolved."
                            % host["resourcestate"])
        busy = [h for h in world.all("host").values() if h.get("clusterid") == host.get("clusterid")
                and h["type"] == "Routing" and h["resourcestate"] in ("PrepareForMaintenance",
                                                                      "ErrorInPrepareForMaintenance")]
        if host.get("clusterid") and busy:
            raise _internal("There are other servers attempting migrations for maintenance. Found hosts in "
                            "PrepareForMaintenance OR ErrorInPrepareForMaintenance STATUS in cluster %s"
                            % cluster_text(world, world.get("cluster", host["clusterid"])))
        states = {vm["state"] for _kind, vm in vms_on(world, host["id"])}
        if "Migrating" in states:
            raise _internal("Host contains incoming VMs migrating. Please wait for them to complete before putting "
                            "to maintenance.")
        if states & {"Starting", "Stopping"}:
            raise _internal("Host contains VMs in starting/stopping state. Please wait for them to complete before "
                            "putting to maintenance.")
        if states & {"Error", "Unknown"}:
            raise _internal("Host contains VMs in error/unknown/shutdown state. Please fix errors to proceed.")
        if host["type"] != "Routing" or host["state"] != "Up":
            # a MaintainCommand gets no answer from an agent that is not connected; the lab drains hypervisors only
            raise _internal("Unable to prepare for maintenance host %s" % host_text(world, host))
        if host["resourcestate"] not in ("Enabled", "ErrorInMaintenance"):  # no AdminAskMaintenance transition
            raise _internal("Cannot transit resource state of %s to MaintenanceNo next resource state found for "
                            "current state = %s event = AdminAskMaintenance"
                            % (host_text(world, host), host["resourcestate"]))
        return host


def prepare(ctx_or_world, host_id, now=None):
    """prepareHostForMaintenance's work: check (see ``check``; raises its ApiError), then resourcestate
    PrepareForMaintenance and a drain queued of every VM on the host. Returns the host entity (render it
    with render.host). The drain then runs on its own (``tick``)."""
    world = _world(ctx_or_world)
    now = time.time() if now is None else now
    with world.lock:
        host = check(ctx_or_world, host_id)
        host["resourcestate"] = "PrepareForMaintenance"
        queue = [[kind, vm["id"]] for kind, vm in vms_on(world, host["id"], ("Running",))]
        host["drain"] = {"started": now, "queue": queue, "current": None, "failed": [], "moved": [],
                         "next": now}
        return host


def cancel(ctx_or_world, host_id, now=None):
    """cancelHostMaintenance's work: from PrepareForMaintenance, ErrorInPrepareForMaintenance, ErrorInMaintenance
    or Maintenance back to Enabled; a drain in progress stops (a VM in flight stays on the host, Running).
    Raises ApiError 530 with CloudStack's text when the host is in no maintenance state. With the
    ``host_down_after_maintenance`` fault on this host, its agent is Disconnected afterwards (until faults are
    cleared). Returns the host entity."""
    world = _world(ctx_or_world)
    now = time.time() if now is None else now
    with world.lock:
        host = _host(world, host_id)
        if host["resourcestate"] not in MAINTENANCE_STATES:
            raise _internal("Cannot perform cancelMaintenance when resource state is %s, host: %s"
                            % (host["resourcestate"], host_text(world, host)))
        drain = host.pop("drain", None)
        if drain and drain.get("current"):
            kind, vm_id = drain["current"]["vm"]
            vm = world.get(kind, vm_id)
            if vm and vm["state"] == "Migrating":
                vm["state"] = "Running"
        host["resourcestate"] = "Enabled"
        fault = _fault(ctx_or_world, "host_down_after_maintenance", host=(host["name"], host["id"]))
        if fault:
            _faults(ctx_or_world).host_down(world, host, now)
        return host


def drain_report(world, host_id):
    """The host's current or last drain, or None: {started, moved, failed, pending}. ``moved`` and ``failed`` are
    lists of {kind (vm, router, systemvm), id, name, instancename, from, fromname, to, toname, state[, reason]}
    (``to`` None for a VM stopped or destroyed on the last host of its cluster, or one that stayed); ``pending``
    the ids still to go."""
    world = _world(world)
    with world.lock:
        host = _host(world, host_id)
        drain = host.get("drain") or host.get("last_drain")
        if not drain:
            return None
        return {"started": drain["started"], "moved": [dict(m) for m in drain["moved"]],
                "failed": [dict(f) for f in drain["failed"]], "pending": [vm_id for _k, vm_id in drain["queue"]]}


# ----- the drain, run by the job ticker -----

def tick(sim, now):
    """Advance every drain whose time has come. Called with the world lock held (JobManager.tick)."""
    world = sim.world
    for host in list(world.all("host").values()):
        drain = host.get("drain")
        if not drain or host["resourcestate"] not in ("PrepareForMaintenance", "ErrorInPrepareForMaintenance"):
            continue
        if _fault(sim, "maintenance_stuck", host=(host["name"], host["id"])):
            continue
        _advance(sim, world, host, drain, now)


def _advance(sim, world, host, drain, now):
    step = _migration_seconds(world)
    for _turn in range(10000):  # bounded: each turn finishes a migration or starts one
        current = drain.get("current")
        if current is not None:
            if now < current["due"]:
                return
            _finish_move(sim, world, host, drain, current, current["due"])
            drain["current"] = None
            drain["next"] = current["due"]
            continue
        if not drain["queue"]:
            _conclude(world, host, drain)
            return
        if now < drain["next"]:
            return
        kind, vm_id = drain["queue"].pop(0)
        vm = world.get(kind, vm_id)
        if vm is None or vm.get("hostid") != host["id"] or vm["state"] != "Running":
            continue
        _start_move(sim, world, host, drain, kind, vm, drain["next"], step)


def _start_move(sim, world, host, drain, kind, vm, at, step):
    others = other_hosts(world, host)
    entry = {"kind": kind, "id": vm["id"], "name": vm["name"], "instancename": instance_name(vm),
             "from": host["id"], "fromname": host["name"], "to": None, "toname": None}
    if not others:  # the last Up host of its cluster: stop (SSVM/CPVM: destroy), as handleVmForLastHostOrWithVGpu
        if kind == "systemvm":
            _destroy_systemvm(sim, world, vm, at)
            entry["state"] = "Destroyed"
        else:
            vm.update(state="Stopped", lasthostid=host["id"], hostid=None)
            entry["state"] = "Stopped"
        drain["moved"].append(entry)
        drain["next"] = at
        return
    target = next((h for h in sorted(others, key=lambda h: _load(world, h)) if has_room(world, h, kind, vm)), None)
    if target is None:
        entry.update(state=vm["state"], reason="no host with room")
        _failed(host, drain, entry)
        drain["next"] = at
        return
    vm["state"] = "Migrating"
    entry.update(to=target["id"], toname=target["name"])
    drain["current"] = {"vm": [kind, vm["id"]], "to": target["id"], "due": at + step, "entry": entry}


def _load(world, host):
    """Sort key: the least loaded host first (CPU allocated with overprovisioning), then by name."""
    cap = capacity(world, host)
    return cap["cpu_allocated"] / max(cap["cpu_with_overprovisioning"], 1), host["name"]


def _finish_move(sim, world, host, drain, current, at):
    kind, vm_id = current["vm"]
    vm = world.get(kind, vm_id)
    entry = dict(current["entry"])
    if vm is None:
        return
    target = world.get("host", current["to"])
    stuck = _fault(sim, "vm_stuck", vm=(vm["name"], vm["id"], instance_name(vm)))
    if stuck or not usable(target):
        vm["state"] = "Running"
        entry.update(state="Running", to=None, toname=None,
                     reason="migration failed" if stuck else "destination host not usable")
        _failed(host, drain, entry)
        return
    vm.update(state="Running", hostid=target["id"], lasthostid=target["id"], podid=target["podid"])
    entry["state"] = "Running"
    drain["moved"].append(entry)


def _failed(host, drain, entry):
    """A VM could not move: ErrorInPrepareForMaintenance while other VMs are still to go (attemptMaintain)."""
    drain["failed"].append(entry)
    if drain["queue"]:
        host["resourcestate"] = "ErrorInPrepareForMaintenance"


def _conclude(world, host, drain):
    left = vms_on(world, host["id"])
    host["resourcestate"] = "ErrorInMaintenance" if (drain["failed"] or left) else "Maintenance"
    drain["ended"] = drain["next"]
    host["last_drain"] = host.pop("drain")


def _destroy_systemvm(sim, world, vm, at):
    agent_id = stable_id("host", vm["name"])
    world.all("systemvm").pop(vm["id"], None)
    world.all("host").pop(agent_id, None)
    lifecycle.schedule_replacement(world, vm, at + sim.jobs.duration("systemVmRecreate"))
