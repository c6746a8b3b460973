"""startRollingMaintenance as CloudStack's RollingMaintenanceManagerImpl runs it (FACTS.md section C, management
side), in a thread of its own per job, like the manager's job executor.

Order: the timeout check (``timeout`` or ``kvm.rolling.maintenance.stage.timeout``, which must be greater than
``kvm.rolling.maintenance.ping.interval``); the KVM hosts in scope grouped by cluster; per cluster: VMs in
transitional states (fail, or with ``forced`` skip the cluster), the cluster Disabled while it is processed, host
state checks, capacity checks, PreFlight on every host; then per host: a Maintenance script must exist,
PreMaintenance, the avoid set, capacity again, prepareForMaintenance and the wait for Maintenance (polled every
``maintenance_poll`` seconds up to ``kvm.rolling.maintenance.wait.maintenance.timeout``), Maintenance,
cancelMaintenance, PostMaintenance. A failure without ``forced`` ends the run (the host is left as it is); the
clusters this run disabled are enabled again in ``finally``. Stages run through stages.py.

The job: ``begin`` starts the thread and pushes the job's due time far away; when the thread is done it stores the
response and makes the job due, so the job ticker completes it. A job whose thread is gone (the simulator
restarted) fails, as CloudStack fails the jobs of a management server that stopped.

Control API (``/lab/rolling/...``, see ``control``): simulated stage results for API-only hosts, the poll
interval, and the log of every stage run.
"""

import sys
import threading
import time
import traceback

from . import errors, maintenance, stages
from .world import fmt_date

COMMAND = "startRollingMaintenance"
FAR = 10 * 365 * 86400.0
DEFAULT_POLL = 0.2  # CloudStack polls every 30 s; the simulator polls faster (set_timing changes it)
TRANSITIONAL = maintenance.TRANSITIONAL_STATES
SCOPES = ("podids", "clusterids", "zoneids", "hostids")
SCOPE_KEY = {"podids": "podid", "clusterids": "clusterid", "zoneids": "zoneid", "hostids": "id"}
STAGE_NAMES = ("PreFlight", "PreMaintenance", "Maintenance", "PostMaintenance")
LOG_LIMIT = 2000

_threads = {}  # jobid -> thread, in this process


class RollingError(Exception):
    """CloudRuntimeException in the manager: ends the run with success=false."""


# ----- the job -----

def begin(ctx, job):
    if job["due"] is None or job["fail"]:
        return  # job_hang / job_fail faults: the run never starts
    if job["args"].get("error"):  # checked first thing in the manager: the job fails
        job["fail"] = {"errorcode": 530, "errortext": job["args"]["error"]}
        job["due"] = job["starts"]
        return
    job["due"] = job["starts"] + FAR
    sim = ctx.sim
    thread = threading.Thread(target=_run, args=(sim, job["jobid"], dict(job["args"])), daemon=True,
                              name="cssim-rolling-%s" % job["jobid"][:8])
    _threads[job["jobid"]] = thread
    thread.start()


def progress(ctx, job, fraction):
    """A job whose thread is not in this process any more (restart): fail it."""
    if job["jobid"] not in _threads and job.get("fail") is None:
        job["fail"] = {"errorcode": 530, "errortext": "Job failed due to management server restart"}
        job["due"] = time.time()


def complete(ctx, job):
    _threads.pop(job["jobid"], None)
    return job["args"]["outcome"]


def _run(sim, jobid, args):
    try:
        outcome = procedure(sim, args, jobid)
    except Exception as exc:  # a simulator bug: end the job visibly
        traceback.print_exc(file=sys.stderr)
        outcome = _response(False, "cssim internal error: %s" % exc, [], [])
    with sim.world.lock:
        job = sim.world.state["jobs"].get(jobid)
        if job is not None and job["status"] == 0:
            job["args"]["outcome"] = outcome
            job["due"] = time.time()


# ----- the procedure -----

def _response(success, details, updated, skipped):
    return {"success": success, "details": details, "hostsupdated": updated, "hostsskipped": skipped}


def _setting(sim, name):
    return int(sim.context(COMMAND).setting(name))


def _host(sim, host_id):
    with sim.world.lock:
        return dict(sim.world.get("host", host_id))


def _skip(skipped, host, reason):
    skipped.append({"hostid": host["id"], "hostname": host["name"], "reason": reason})


def hosts_by_cluster(world, scope, ids):
    """{cluster id: [host]} of the KVM Routing hosts in scope, clusters and hosts in the world's order."""
    key = SCOPE_KEY[scope]
    out = {}
    with world.lock:
        for host in world.all("host").values():
            if host["type"] != "Routing" or (host.get("hypervisor") or "").upper() != "KVM":
                continue
            if host.get(key) in ids and host.get("clusterid"):
                out.setdefault(host["clusterid"], []).append(dict(host))
    return out


def procedure(sim, args, jobid=None):
    """The run; returns the RollingMaintenanceResponse body."""
    updated, skipped, disabled = [], [], []
    timeout = args.get("timeout")
    if timeout is None:
        timeout = _setting(sim, "kvm.rolling.maintenance.stage.timeout")
    if timeout <= _setting(sim, "kvm.rolling.maintenance.ping.interval"):
        return _response(False, "The timeout value provided must be greater or equal than the ping interval "
                                "defined in 'kvm.rolling.maintenance.ping.interval'", updated, skipped)
    run = {"jobid": jobid, "timeout": timeout, "payload": args.get("payload"), "forced": bool(args.get("forced"))}
    try:
        for cluster_id, hosts in hosts_by_cluster(sim.world, args["scope"], args["ids"]).items():
            if not _cluster(sim, run, cluster_id, hosts, updated, skipped, disabled):
                return _response(False, "VMs in invalid states in cluster: %s" % cluster_id, updated, skipped)
        return _response(True, "OK", updated, skipped)
    except (RollingError, stages.StageError) as exc:
        return _response(False, "Error starting rolling maintenance: %s" % exc, updated, skipped)
    finally:
        with sim.world.lock:
            for cluster_id in disabled:
                cluster = sim.world.get("cluster", cluster_id)
                if cluster and cluster["allocationstate"] == "Disabled":
                    cluster["allocationstate"] = "Enabled"


def _cluster(sim, run, cluster_id, hosts, updated, skipped, disabled):
    """One cluster; False when VMs in transitional states stop the run (not forced)."""
    world, forced = sim.world, run["forced"]
    with world.lock:
        busy = [h for h in hosts if maintenance.vms_on(world, h["id"], TRANSITIONAL)]
        if busy:
            for host in busy:
                _skip(skipped, host, "There are VMs in non allowed states (%s) on the host" % ", ".join(TRANSITIONAL))
            return forced
        cluster = world.get("cluster", cluster_id)
        if cluster["allocationstate"] == "Enabled":
            cluster["allocationstate"] = "Disabled"
            disabled.append(cluster_id)
    ready = []
    for host in hosts:  # state checks
        host = _host(sim, host["id"])
        if host["state"] != "Up" or host["resourcestate"] != "Enabled":
            reason = "Host %s is not in Up state or not enabled (state %s, resource state %s)" % (
                host["id"], host["state"], host["resourcestate"])
            if not forced:
                raise RollingError(reason)
            _skip(skipped, host, reason)
            continue
        ready.append(host)
    for host in list(ready):  # capacity checks
        problems = maintenance.capacity_problems(world, host["id"])
        if problems:
            reason = "Capacity check failed for host %s: %s" % (host["id"], problems[0])
            if not forced:
                raise RollingError(reason)
            _skip(skipped, host, reason)
            ready.remove(host)
    avoid = {}
    for host in list(ready):  # PreFlight on every host
        outcome = _stage(sim, run, host, "PreFlight")
        if not outcome.success:
            ready.remove(host)
            _skip(skipped, host, "Stage PreFlight failed on host %s: %s" % (host["id"], outcome.output))
        elif outcome.avoid:
            avoid[host["id"]] = "Pre-flight stage set to avoid maintenance"
    for host in ready:
        _host_maintenance(sim, run, host, avoid, updated, skipped)
    return True


def _stage(sim, run, host, stage):
    """Run a stage; a failure raises (not forced) or is returned (forced)."""
    started = time.time()
    outcome = stages.run(sim, host, stage, run["timeout"], run["payload"])
    _log(sim, run, host, stage, outcome, started)
    if not outcome.success and not run["forced"]:
        raise RollingError("Stage %s failed on host %s: %s" % (stage, host["id"], outcome.output))
    return outcome


def _log(sim, run, host, stage, outcome, started):
    with sim.world.lock:
        log = sim.world.state.setdefault("rolling_log", [])
        log.append({"jobid": run["jobid"], "host": host["name"], "hostid": host["id"], "stage": stage,
                    "success": outcome.success, "avoid": outcome.avoid, "output": outcome.output[:2000],
                    "exit": outcome.detail.get("exit"), "script": outcome.detail.get("script"),
                    "started": started, "ended": time.time()})
        del log[:-LOG_LIMIT]


def _host_maintenance(sim, run, host, avoid, updated, skipped):
    if not stages.has_maintenance_script(sim, host):
        _skip(skipped, host, "There is no maintenance script on the host")
        return
    start = time.time()
    outcome = _stage(sim, run, host, "PreMaintenance")
    if not outcome.success:
        _skip(skipped, host, "Stage PreMaintenance failed on host %s: %s" % (host["id"], outcome.output))
        return
    if outcome.avoid:
        avoid.setdefault(host["id"], "Pre-maintenance stage set to avoid maintenance")
    if host["id"] in avoid:
        _skip(skipped, host, avoid[host["id"]])
        return
    problems = maintenance.capacity_problems(sim.world, host["id"])
    if problems:
        reason = "Capacity check failed for host %s: %s" % (host["id"], problems[0])
        if not run["forced"]:
            raise RollingError(reason)
        _skip(skipped, host, reason)
        return
    _enter_maintenance(sim, host)
    outcome = _stage(sim, run, host, "Maintenance")
    if not outcome.success:
        _skip(skipped, host, "Stage Maintenance failed on host %s: %s" % (host["id"], outcome.output))
        return
    output = outcome.output
    try:
        maintenance.cancel(sim, host["id"])
    except errors.ApiError as exc:
        raise RollingError("Could not cancel maintenance on host %s: %s" % (host["id"], exc.errortext)) from None
    outcome = _stage(sim, run, host, "PostMaintenance")
    if not outcome.success:
        _skip(skipped, host, "Stage PostMaintenance failed on host %s: %s" % (host["id"], outcome.output))
        return
    updated.append({"hostid": host["id"], "hostname": host["name"], "startdate": fmt_date(start),
                    "enddate": fmt_date(time.time()), "output": output})


def _enter_maintenance(sim, host):
    try:
        maintenance.prepare(sim, host["id"])
    except errors.ApiError as exc:
        raise RollingError("Could not put host %s into maintenance: %s" % (host["id"], exc.errortext)) from None
    wait = _setting(sim, "kvm.rolling.maintenance.wait.maintenance.timeout")
    deadline = time.monotonic() + wait
    while True:
        state = maintenance.state(sim.world, host["id"])
        if state == "Maintenance":
            return
        if time.monotonic() >= deadline:
            raise RollingError("Timeout: waited %d ms for host %s to be in Maintenance state, but it is in %s state"
                               % (wait * 1000, host["id"], state))
        time.sleep(poll_interval(sim))


def poll_interval(sim):
    with sim.world.lock:
        return float(sim.world.state.get("rolling_timing", {}).get("maintenance_poll", DEFAULT_POLL))


# ----- control API -----

def control(sim, method, path, payload):
    """``/lab/rolling/...``: returns (status, body), or None when the path is not one of these.

    - ``POST stages`` {host (name or id), stage, exit?, output?, seconds?, missing?}: an API-only host's result
      for that stage; ``DELETE stages`` forgets them all; ``GET stages``.
    - ``POST timing`` {maintenance_poll: seconds}; ``GET timing``.
    - ``GET log``: every stage run [{jobid, host, hostid, stage, success, avoid, output, exit, script, started,
      ended}]; ``DELETE log`` empties it.
    """
    world = sim.world
    name = path[len("/lab/rolling/"):] if path.startswith("/lab/rolling/") else None
    if name not in ("stages", "timing", "log"):
        return None
    with world.lock:
        if name == "stages":
            table = world.state.setdefault("rolling_stages", {})
            if method == "POST":
                host, stage, spec = _stage_spec(sim, payload)
                table.setdefault(host["id"], {})[stage] = spec
                world.state["rolling_stages"] = table
            elif method == "DELETE":
                world.state["rolling_stages"] = {}
            return 200, world.state["rolling_stages"]
        if name == "timing":
            if method == "POST":
                if not isinstance(payload, dict) or set(payload) - {"maintenance_poll"}:
                    raise ValueError("timing is {maintenance_poll: seconds}")
                seconds = float(payload["maintenance_poll"])
                if not 0 < seconds <= 60:
                    raise ValueError("maintenance_poll must be > 0 and <= 60 seconds")
                world.state["rolling_timing"] = {"maintenance_poll": seconds}
            return 200, {"maintenance_poll": poll_interval(sim)}
        if method == "DELETE":
            world.state["rolling_log"] = []
        return 200, list(world.state.get("rolling_log", []))


def _stage_spec(sim, payload):
    world = sim.world
    if not isinstance(payload, dict):
        raise ValueError("a stage result is a JSON object {host, stage, exit?, output?, seconds?, missing?}")
    unknown = set(payload) - {"host", "stage", "exit", "output", "seconds", "missing"}
    if unknown:
        raise ValueError("unknown fields of a stage result: %s" % ", ".join(sorted(unknown)))
    host = world.by_name("host", payload.get("host")) or world.get("host", payload.get("host"))
    if host is None or host["type"] != "Routing":
        raise ValueError("stage result needs a Routing host (name or id), not %r" % payload.get("host"))
    if stages.is_real(sim, host):
        raise ValueError("%s is a lab host: its stage scripts really run; install them instead" % host["name"])
    stage = payload.get("stage")
    if stage not in STAGE_NAMES:
        raise ValueError("stage must be one of %s, not %r" % (", ".join(STAGE_NAMES), stage))
    spec = {"exit": int(payload.get("exit", 0)), "output": str(payload.get("output", "")),
            "seconds": float(payload.get("seconds", 0)), "missing": bool(payload.get("missing", False))}
    return host, stage, spec
